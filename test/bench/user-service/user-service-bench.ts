// CPU per accepted POST /users of user-service, its outbox relay included (issue 15).
//   FANOUT_STACK_PROFILE=userservice FANOUT_STACK_PORT_OFFSET=6000 \
//     npx tsx test/bench/user-service/user-service-bench.ts [--count 10000] [--rate 500] [--runs 3]
//     [--log-level info] [--sampling 0.01] [--cpu-prof-dir /tmp/us-prof]
// Starts user-service as the bench does (node --import tsx, catalog env, bench settings), offers an
// open-loop load, waits until every accepted registration's UserRegistered is on the topic, and
// prints µs of CPU (user+system from /proc/<pid>/stat) per accepted request. Not a test.
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import {
  compileTopology,
  endpointsOf,
  repoRoot,
  serviceCatalog,
  serviceEnv,
} from '@fanout/local-platform';
import { ChildProcesses } from '../report/child-processes';
import { processCpuSeconds, threadCpuSeconds } from '../report/process-cpu';
import {
  REQUEST_HEADERS,
  USER_SERVICE_ENV,
  registrationBody,
  samplingEnv,
} from '../report/bench-settings';
import { openLoopLoad } from '../domain/open-loop-load';
import { percentile } from './percentile';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '500' },
    'log-level': { type: 'string', default: 'info' },
    sampling: { type: 'string', default: '0.01' },
    connections: { type: 'string', default: '50' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const count = Number(values.count);
const rate = Number(values.rate);
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const profile = process.env.FANOUT_STACK_PROFILE ?? 'default';
const portOffset = Number(process.env.FANOUT_STACK_PORT_OFFSET ?? 0);
const root = repoRoot;
const endpoints = endpointsOf(compileTopology({ profile, portOffset }));
const spec = serviceCatalog.find((s) => s.name === 'user-service')!;
const kafka = new Kafka({
  clientId: 'user-service-bench',
  brokers: endpoints.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();

function threadDelta(before: Map<string, number>, after: Map<string, number>, n: number) {
  return Object.fromEntries(
    [...after].map(([name, s]) => [name, Math.round(((s - (before.get(name) ?? 0)) * 1e6) / n)]),
  );
}

async function recordsOn(topic: string): Promise<number> {
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0;
  }
}

async function waitForRecords(topic: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = await recordsOn(topic);
    if (seen >= expected) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`user-service not ready at ${url}`);
}

interface RunResult {
  run: number;
  accepted: number;
  statuses: Record<string, number>;
  records: number;
  cpuUsPerAccepted: number;
  p50Ms: number;
  p99Ms: number;
  loadBefore: string;
  loadAfter: string;
  drainS: number;
  /** µs CPU per accepted request by thread name. */
  threads: Record<string, number>;
}

async function oneRun(run: number): Promise<RunResult> {
  const id = `${Date.now().toString(36)}-${run}`;
  const topic = `bench.us.${id}`;
  const workDir = join(tmpdir(), `us-bench-${id}`);
  mkdirSync(workDir, { recursive: true });
  const children = new ChildProcesses(join(workDir, 'logs'));
  const env: Record<string, string> = {
    ...serviceEnv(spec, { endpoints, stateDir: workDir, portOffset }),
    LOG_LEVEL: values['log-level'] ?? 'info',
    ...samplingEnv(Number(values.sampling)),
    ...USER_SERVICE_ENV,
    USER_EVENTS_TOPIC: topic,
    USER_CONTACTS_TOPIC: `${topic}.contacts`,
  };
  mkdirSync(env.DATA_DIR!, { recursive: true });
  const prof = values['cpu-prof-dir']
    ? ['--cpu-prof', `--cpu-prof-dir=${join(values['cpu-prof-dir'], id)}`]
    : [];
  const tracked = children.spawn(
    'user-service',
    process.execPath,
    [...prof, '--import', 'tsx', join('services', 'user-service', 'src', 'main.ts')],
    { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
  );
  const pid = tracked.child.pid!;
  const url = `http://127.0.0.1:${env.PORT}`;
  try {
    await waitReady(`${url}/readyz`, 120_000);
    // Warm-up: JIT, the producer's connection, topic creation, schema registration.
    const warm = await openLoopLoad({
      url,
      rate: Math.min(rate, 250),
      durationS: warmup / Math.min(rate, 250),
      connections: Number(values.connections),
      path: '/users',
      headers: { ...REQUEST_HEADERS },
      body: (n) => registrationBody(`${id}-warm`, n),
    });
    const warmAccepted = warm.statuses['201'] ?? 0;
    await waitForRecords(topic, warmAccepted, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const loadBefore = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const cpuBefore = processCpuSeconds(pid)!;
    const threadsBefore = threadCpuSeconds(pid);
    const result = await openLoopLoad({
      url,
      rate,
      durationS: count / rate,
      connections: Number(values.connections),
      path: '/users',
      headers: { ...REQUEST_HEADERS },
      body: (n) => registrationBody(id, n),
    });
    const loadEnd = Date.now();
    const accepted = result.statuses['201'] ?? 0;
    const records = (await waitForRecords(topic, warmAccepted + accepted, 120_000)) - warmAccepted;
    const drainS = (Date.now() - loadEnd) / 1000;
    const cpuAfter = processCpuSeconds(pid)!;
    const threads = threadDelta(threadsBefore, threadCpuSeconds(pid), Math.max(1, accepted));
    const loadAfter = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const sorted = [...result.latenciesMs].sort((a, b) => a - b);
    return {
      run,
      accepted,
      statuses: result.statuses,
      records,
      cpuUsPerAccepted: ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, accepted),
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      loadBefore,
      loadAfter,
      drainS,
      threads,
    };
  } finally {
    tracked.child.kill('SIGTERM');
    await Promise.race([tracked.exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (tracked.running()) tracked.child.kill('SIGKILL');
    if (!values['cpu-prof-dir']) rmSync(workDir, { recursive: true, force: true });
    await admin.deleteTopics({ topics: [topic, `${topic}.contacts`] }).catch(() => undefined);
  }
}

await admin.connect();
const results: RunResult[] = [];
try {
  for (let run = 1; run <= runs; run += 1) {
    const r = await oneRun(run);
    results.push(r);
    console.error(JSON.stringify(r));
  }
} finally {
  await admin.disconnect();
}
const median = [...results].sort((a, b) => a.cpuUsPerAccepted - b.cpuUsPerAccepted)[
  Math.floor(results.length / 2)
]!;
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}; ` +
    `${count} POST /users at ${rate}/s open loop (${values.connections} connections) after ${warmup} warm-up, ` +
    `LOG_LEVEL ${values['log-level']}, sampling parentbased_traceidratio ${values.sampling}, SQLITE_SYNCHRONOUS ${USER_SERVICE_ENV.SQLITE_SYNCHRONOUS}`,
);
console.log(
  '| run | accepted | records on topic | µs CPU / accepted | p50 ms | p99 ms | drain s | load before | load after |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
for (const r of results)
  console.log(
    `| ${r.run} | ${r.accepted} | ${r.records} | ${r.cpuUsPerAccepted.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.drainS.toFixed(1)} | ${r.loadBefore} | ${r.loadAfter} |`,
  );
console.log(`median µs CPU / accepted: ${median.cpuUsPerAccepted.toFixed(0)}`);
