// POST /users on user-service (outbox + relay publishing to the real broker) against a
// synchronous baseline that calls four APIs (200/300/150/100 ms) inside the request.
// Not a test: `npx tsx test/bench/domain/run-bench.ts [--rate 500] [--duration 30]`.
// Prints a Markdown table; docs/domain-benchmark.md records a run with its setup.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { ServiceProcess, freePort } from '../../integration/domain/support/service-process';
import { openLoopLoad } from './open-loop-load';
import type { OpenLoopResult } from './open-loop-load';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    'baseline-connections': { type: 'string', default: '500' },
    sqlite: { type: 'string', default: 'NORMAL' },
    'skip-baseline': { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const duration = Number(values.duration);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const endpoints = platformEndpoints();
const kafka = new Kafka({
  clientId: 'domain-bench',
  brokers: endpoints.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const API_KEY = 'bench-key-000000000000';

let counter = 0;
function userRequests(prefix: string): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/users',
      setupRequest: (request) => {
        counter += 1;
        return {
          ...request,
          body: JSON.stringify({
            email: `${prefix}-${counter}@bench.example`,
            name: `Bench ${counter}`,
            locale: 'en-GB',
          }),
        };
      },
    },
  ];
}

interface LoadResult {
  result: autocannon.Result;
  /** Raw response times, one per response. autocannon's own percentiles under `overallRate`
   * are corrected for coordinated omission with synthetic samples, which understates the
   * latency of a slow endpoint (it reported p50 459 ms for a 750 ms floor); we report these. */
  samples: number[];
}

async function load(
  url: string,
  connections: number,
  seconds: number,
  prefix: string,
): Promise<LoadResult> {
  const samples: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        overallRate: rate,
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        requests: userRequests(prefix),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      samples.push(responseTime);
    });
  });
  return { result, samples };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

async function topicSize(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function backlog(baseUrl: string): Promise<number> {
  const ready = (await (await fetch(`${baseUrl}/readyz`)).json()) as {
    checks: { outbox: { detail: string } };
  };
  return Number(/backlog (\d+)/.exec(ready.checks.outbox.detail)?.[1] ?? NaN);
}

function row(name: string, { result, samples }: LoadResult, extra = ''): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const ok = result.statusCodeStats?.['201']?.count ?? result['2xx'];
  const ms = (v: number) => v.toFixed(1);
  return `| ${name} | ${result.connections} | ${(samples.length / result.duration).toFixed(0)} | ${ok} | ${result.non2xx} | ${result.errors + result.timeouts} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 90))} | ${ms(percentile(sorted, 99))} | ${ms(sorted[sorted.length - 1] ?? NaN)} | ${extra} |`;
}

async function openLoop(url: string, connections: number, prefix: string): Promise<OpenLoopResult> {
  return openLoopLoad({
    url,
    rate,
    durationS: duration,
    connections,
    path: '/users',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: (n) =>
      JSON.stringify({
        email: `${prefix}-${n}@bench.example`,
        name: `Bench ${n}`,
        locale: 'en-GB',
      }),
  });
}

function openLoopRow(name: string, r: OpenLoopResult, connections: number, extra = ''): string {
  counter += r.sent;
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const ms = (v: number) => v.toFixed(1);
  const other = Object.entries(r.statuses)
    .filter(([s]) => s !== '201')
    .reduce((sum, [, n]) => sum + n, 0);
  return `| ${name} | ${connections} | ${(r.latenciesMs.length / r.durationS).toFixed(0)} | ${r.statuses['201'] ?? 0} | ${other} | - | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 90))} | ${ms(percentile(sorted, 99))} | ${ms(sorted[sorted.length - 1] ?? NaN)} | ${extra} |`;
}

const rows: string[] = [];
const loadBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');

// 1. user-service, relay running, real broker and registry.
const topic = uniqueName('bench-user-events');
{
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
  });
  await admin.disconnect();
}
const service = new ServiceProcess('user-service', await freePort(), {
  KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
  SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
  DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-user-')),
  API_KEYS: API_KEY,
  USER_EVENTS_TOPIC: topic,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_MAX: '1000000',
  SQLITE_SYNCHRONOUS: values.sqlite ?? 'NORMAL',
});
await service.start();
try {
  await load(service.baseUrl, 10, 5, 'warmup'); // JIT, prepared statements, producer connection
  const measured = await load(service.baseUrl, Number(values.connections), duration, 'run');
  const drainStarted = Date.now();
  let remaining = await backlog(service.baseUrl);
  while (remaining > 0 && Date.now() - drainStarted < 120_000) {
    await new Promise((r) => setTimeout(r, 100));
    remaining = await backlog(service.baseUrl);
  }
  const drainMs = Date.now() - drainStarted;
  rows.push(
    row(
      `user-service POST /users (outbox, relay on, SQLite ${values.sqlite})`,
      measured,
      `autocannon (per-second bursts); backlog drained ${drainMs} ms after the run`,
    ),
  );
  const steady = await openLoop(service.baseUrl, Number(values.connections), 'open');
  const drain2Started = Date.now();
  while ((await backlog(service.baseUrl)) > 0 && Date.now() - drain2Started < 120_000) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const drain2Ms = Date.now() - drain2Started;
  const published = await topicSize(topic);
  rows.push(
    openLoopRow(
      `user-service POST /users (outbox, relay on, SQLite ${values.sqlite})`,
      steady,
      Number(values.connections),
      `open loop (constant arrival); backlog drained ${drain2Ms} ms after; topic holds ${published} events for ${counter + steady.sent} requests incl. warm-up`,
    ),
  );
} finally {
  await service.stop();
}

// 2. The synchronous baseline.
if (!values['skip-baseline']) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/bench/domain/sync-baseline-main.ts',
      String(port),
      join(mkdtempSync(join(tmpdir(), 'bench-sync-')), 'sync.db'),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  try {
    const url = `http://127.0.0.1:${port}`;
    await load(url, 50, 5, 'sync-warmup');
    const measured = await load(url, Number(values['baseline-connections']), duration, 'sync-run');
    const name = 'sync baseline POST /users (4 APIs in the request: 200+300+150+100 ms)';
    rows.push(row(name, measured, 'autocannon (per-second bursts)'));
    const connections = Number(values['baseline-connections']);
    const steady = await openLoop(url, connections, 'sync-open');
    rows.push(openLoopRow(name, steady, connections, 'open loop (constant arrival)'));
  } finally {
    child.kill('SIGTERM');
  }
}

console.log(
  `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
);
console.log(
  `load average (1/5/15 min) before: ${loadBefore}, after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`target rate ${rate} req/s, ${duration} s per run, autocannon 8\n`);
console.log(
  '| endpoint | connections | responses/s | 201 | non-2xx | errors+timeouts | p50 ms | p90 ms | p99 ms | max ms | notes |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const line of rows) console.log(line);
process.exit(0);
