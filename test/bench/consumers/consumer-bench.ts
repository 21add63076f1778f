// Benchmark (not a test): events/s delivered to the CRM API by one crm-consumer instance (the
// consumer kit on the Fanout runtime) against a plain kafkajs eachMessage consumer calling the
// same API through the same client, with 0 ms and 50 ms API latency. The sandbox runs as its own
// process, so the consumers do not share an event loop with the API they call.
// Writes test/bench/consumers/last-run.json; docs/consumer-benchmark.md records the numbers.
//
//   node --import tsx test/bench/consumers/consumer-bench.ts [--quick] [--only=0ms|50ms]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from 'node:inspector/promises';
import { Kafka, logLevel } from 'kafkajs';
import { RegistryCodec, newMetadata } from '@fanout/contracts';
import type { UserRegistered } from '@fanout/contracts';
import { startConsumerService } from '@fanout/consumer-kit';
import { EventPublisher } from '@fanout/messaging';
import { crmConsumer } from '@fanout/crm-consumer/consumer';
import { CrmApi, DownstreamClient, Secret, idempotencyKey } from '@fanout/downstream';
import { createLogger } from '@fanout/telemetry';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { startSampledTelemetry } from '../sampled-telemetry';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const scale = quick ? 0.2 : 1;
const PARTITIONS = 6;
const SANDBOX_KEY = 'sk_sandbox_local_development_key';

interface Scenario {
  name: string;
  latencyMs: number;
  kitEvents: number;
  plainEvents: number;
  /**
   * Bulkhead (requests in flight) for both consumers: Little's law, rate × latency. At 0 ms a
   * small window is enough and a large one only queues in a CPU-starved API until timeouts; at
   * 50 ms the window is what buys throughput.
   */
  maxConcurrent: number;
}
const scenarios: Scenario[] = [
  { name: '0ms', latencyMs: 0, kitEvents: 20_000, plainEvents: 10_000, maxConcurrent: 32 },
  { name: '50ms', latencyMs: 50, kitEvents: 20_000, plainEvents: 1_500, maxConcurrent: 256 },
].filter((s) => !only || s.name === only);
const variants = (
  process.argv.find((a) => a.startsWith('--variants='))?.slice(11) ?? 'plain,kit'
).split(',');

/** The settings both consumers share; the kit's come from its env (see kitEnv). */
const forcedConcurrency = process.argv.find((a) => a.startsWith('--max-concurrent='))?.slice(17);
const concurrencyOf = (scenario: Scenario): number =>
  forcedConcurrency ? Number(forcedConcurrency) : scenario.maxConcurrent;
const client = { timeoutMs: 5_000 };
/**
 * `--live=<events/s>`: the kit consumes while this process publishes at that rate (instead of a
 * pre-filled topic), and the run reports the time from publish to the API's answer per event
 * (p50/p95/p99): what a fetch cycle adds to an event's latency. Kit variant only.
 */
const liveRate = Number(process.argv.find((a) => a.startsWith('--live='))?.slice(7) ?? 0);
/** `--cpu-prof=<dir>`: a V8 CPU profile of the consuming phase only, one file per run. */
const cpuProfDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice(11);

/** Profiles `work` (not the fill or the setup) when --cpu-prof is given. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!cpuProfDir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(cpuProfDir, { recursive: true });
    writeFileSync(join(cpuProfDir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
const kitEnv = {
  CONSUMER_CONCURRENCY: '200',
  DEDUPE_ENABLED: process.argv.includes('--no-dedupe') ? 'false' : 'true',
  LOG_LEVEL: 'warn',
  // `--kit-env=NAME=value,NAME=value`: further consumer settings (e.g. fetch batching).
  ...Object.fromEntries(
    (process.argv.find((a) => a.startsWith('--kit-env='))?.slice(10) ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ),
};

const endpoints = platformEndpoints();
const kafka = new Kafka({
  clientId: 'consumer-bench',
  brokers: endpoints.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const codec = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl } });

/** A port free right now on 127.0.0.1 (the sandbox binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The sandbox at LOG_LEVEL warn: at info Fastify logs two lines per request, which costs the
 * API process (and this one, reading its pipe) more CPU than the request itself.
 */
async function startSandboxProcess(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/sandbox-apis/src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      OTEL_TRACES_EXPORTER: 'none',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sandbox exited (${child.exitCode})`);
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { child, url };
    if (Date.now() > deadline) throw new Error('sandbox did not start in 60 s');
    await sleep(200);
  }
}

/** CPU time (user + system, µs) a child process has used so far, from /proc (Linux). */
function childCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat (index 11, 12 after the command), in ticks.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function admin(url: string, path: string, method = 'GET', body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.json();
}

async function createTopic(): Promise<string> {
  const topic = uniqueName('bench-users');
  const a = kafka.admin();
  await a.connect();
  await a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
  await a.disconnect();
  return topic;
}

/**
 * Pre-produces `count` registrations (≈ 200-byte Avro payloads, distinct keys) through the
 * EventPublisher, so records carry the same headers as user-service's (event id, trace…).
 */
async function fill(topic: string, count: number): Promise<void> {
  const publisher = new EventPublisher({ kafka, codec });
  await publisher.connect();
  for (let start = 0; start < count; start += 1_000) {
    const requests = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => {
      const userId = `bench-${start + i}-${Math.random().toString(36).slice(2, 8)}`;
      const value: UserRegistered = {
        metadata: newMetadata({ producer: 'consumer-bench' }),
        userId,
        email: `${userId}@example.com`,
        name: `Bench User ${start + i}`,
        marketingConsent: false,
        locale: 'en-GB',
      };
      return { topic, key: userId, eventType: 'fanout.user.UserRegistered', value };
    });
    await publisher.publishBatch(requests);
  }
  await publisher.disconnect();
}

interface SandboxRequest {
  at: number;
  status: number;
  durationMs: number;
}

/**
 * Waits until `count` contacts exist, then measures first request start → last response.
 * CPU: `cpuMicrosPerEvent` is this process's CPU from `cpuFrom` (start-up included) per event;
 * `steadyCpuMicrosPerEvent` only counts the CPU spent while the delivered count went from 10%
 * to 90% of `count` (sampled every 250 ms), which leaves start-up, group join and the tail out.
 */
async function measure(
  url: string,
  count: number,
  timeoutMs: number,
  cpuFrom?: NodeJS.CpuUsage,
): Promise<{
  eventsPerSecond: number;
  seconds: number;
  requests: number;
  statuses: Record<string, number>;
  cpuMicrosPerEvent?: number;
  steadyCpuMicrosPerEvent?: number;
  steadyEventsPerSecond?: number;
}> {
  const deadline = Date.now() + timeoutMs;
  const samples: Array<{ keys: number; cpu: number; at: number }> = [];
  const cpuNow = (): number => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  };
  for (;;) {
    const report = (await admin(url, '/_admin/effects?api=crm&limit=1')) as {
      totals: { keys: number };
    };
    samples.push({ keys: report.totals.keys, cpu: cpuNow(), at: performance.now() });
    if (report.totals.keys >= count) break;
    if (Date.now() > deadline)
      throw new Error(`only ${report.totals.keys}/${count} delivered in ${timeoutMs} ms`);
    await sleep(250);
  }
  const cpu = cpuFrom ? process.cpuUsage(cpuFrom) : undefined;
  const from = samples.find((sample) => sample.keys >= count * 0.1);
  const to = samples.findLast((sample) => sample.keys <= count * 0.9);
  const steady =
    from && to && to.keys - from.keys >= count * 0.3
      ? {
          steadyCpuMicrosPerEvent: Math.round((to.cpu - from.cpu) / (to.keys - from.keys)),
          steadyEventsPerSecond: Math.round(((to.keys - from.keys) * 1000) / (to.at - from.at)),
        }
      : {};
  const { requests } = (await admin(url, '/_admin/requests?api=crm&limit=100000')) as {
    requests: SandboxRequest[];
  };
  const first = Math.min(...requests.map((r) => r.at - r.durationMs));
  const last = Math.max(...requests.map((r) => r.at));
  const seconds = (last - first) / 1000;
  const statuses: Record<string, number> = {};
  for (const r of requests) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    eventsPerSecond: Math.round(count / seconds),
    seconds: Number(seconds.toFixed(2)),
    requests: requests.length,
    statuses,
    ...(cpu ? { cpuMicrosPerEvent: Math.round((cpu.user + cpu.system) / count) } : {}),
    ...steady,
  };
}

async function runKit(
  url: string,
  scenario: Scenario,
): Promise<Awaited<ReturnType<typeof measure>>> {
  const count = Math.round(scenario.kitEvents * scale);
  const topic = await createTopic();
  if (!liveRate) await fill(topic, count);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-crm-'));
  const env = {
    PORT: '0',
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATA_DIR: dataDir,
    CONSUMER_GROUP_ID: uniqueName('bench-crm-consumer'),
    USER_EVENTS_TOPIC: topic,
    ORDER_EVENTS_TOPIC: topic,
    CALL_LEDGER_TOPIC: uniqueName('bench-ledger'),
    CRM_API_URL: `${url}/crm`,
    CRM_API_KEY: SANDBOX_KEY,
    API_MAX_CONCURRENT: String(concurrencyOf(scenario)),
    ...kitEnv,
  };
  const config = crmConsumer.loadConfig(env);
  return profiled(`kit-${scenario.name}`, async () => {
    const cpuFrom = process.cpuUsage();
    const service = await startConsumerService(crmConsumer, config, {
      logger: createLogger({ name: 'bench', level: 'warn' }),
    });
    try {
      await service.consuming;
      if (!liveRate) return await measure(url, count, 600_000, cpuFrom);
      return await measureLive(url, topic, count, cpuFrom);
    } finally {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

/** A registration for the live run: its user id names the CRM request path. */
function registration(topic: string, userId: string, n: number) {
  const value: UserRegistered = {
    metadata: newMetadata({ producer: 'consumer-bench' }),
    userId,
    email: `${userId}@example.com`,
    name: `Bench User ${n}`,
    marketingConsent: false,
    locale: 'en-GB',
  };
  return { topic, key: userId, eventType: 'fanout.user.UserRegistered', value };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

/**
 * Publishes `count` events at `liveRate` while the kit consumes (after one warm-up event went
 * through, so the group has joined), then reports publish → API answer latency per event.
 */
async function measureLive(
  url: string,
  topic: string,
  count: number,
  cpuFrom: NodeJS.CpuUsage,
): Promise<Awaited<ReturnType<typeof measure>> & Record<string, unknown>> {
  const publisher = new EventPublisher({ kafka, codec });
  await publisher.connect();
  try {
    await publisher.publish(registration(topic, 'bench-warmup', -1));
    await measure(url, 1, 120_000);
    const publishedAt = new Map<string, number>();
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((liveRate * tickMs) / 1000));
    const started = performance.now();
    const measuring = measure(url, count + 1, 600_000, cpuFrom);
    for (let n = 0; n < count; ) {
      const batch = [];
      for (let i = 0; i < perTick && n < count; i += 1, n += 1) {
        const userId = `bench-${n}-${Math.random().toString(36).slice(2, 8)}`;
        batch.push(registration(topic, userId, n));
      }
      const at = Date.now();
      for (const request of batch) publishedAt.set(request.key, at);
      await publisher.publishBatch(batch);
      // Paced against the start, so a slow publish does not lower the rate.
      const due = started + (n / perTick) * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const result = await measuring;
    const { requests } = (await admin(url, '/_admin/requests?api=crm&limit=100000')) as {
      requests: Array<SandboxRequest & { path: string }>;
    };
    const latencies: number[] = [];
    for (const request of requests) {
      const id = decodeURIComponent(request.path.split('/').pop() ?? '');
      const at = publishedAt.get(id);
      if (at !== undefined) latencies.push(request.at - at);
    }
    latencies.sort((a, b) => a - b);
    return {
      ...result,
      live: {
        rate: liveRate,
        events: latencies.length,
        publishToAnswerMs: {
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          max: latencies.at(-1),
        },
      },
    };
  } finally {
    await publisher.disconnect();
  }
}

async function runPlain(
  url: string,
  scenario: Scenario,
): Promise<Awaited<ReturnType<typeof measure>>> {
  const count = Math.round(scenario.plainEvents * scale);
  const topic = await createTopic();
  await fill(topic, count);
  const downstream = new DownstreamClient({
    api: 'crm',
    baseUrl: `${url}/crm`,
    credential: new Secret(SANDBOX_KEY),
    timeouts: { headersMs: client.timeoutMs, bodyMs: client.timeoutMs },
    bulkhead: { maxConcurrent: concurrencyOf(scenario) },
  });
  const crm = new CrmApi(downstream);
  const cpuFrom = process.cpuUsage();
  const consumer = kafka.consumer({ groupId: uniqueName('bench-plain'), maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  // The usual hand-written consumer: one message at a time per partition, every partition in
  // parallel, auto-commit.
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachMessage: async ({ message }) => {
      const { value } = await codec.decode(message.value!);
      const user = value as UserRegistered;
      await crm.upsertContact(
        user.userId,
        {
          email: user.email,
          name: user.name,
          locale: user.locale,
          marketing_consent: user.marketingConsent,
        },
        idempotencyKey(user.metadata.eventId, 'crm.upsertContact'),
      );
    },
  });
  try {
    return await measure(url, count, 600_000, cpuFrom);
  } finally {
    await consumer.disconnect();
    await downstream.close();
  }
}

/**
 * `--sampling=<ratio>`: start this process's telemetry as a consumer's main.ts does (tracing
 * with parent-based ratio sampling exported to the platform's Jaeger, metrics, the http and
 * undici instrumentations), e.g. 0.01 for the throughput target. Off by default.
 */
const sampling = process.argv.find((a) => a.startsWith('--sampling='))?.slice(11);
const telemetry = startSampledTelemetry('consumer-bench', sampling, endpoints.otlpHttpUrl);
const sandbox = await startSandboxProcess();
const results: Array<Record<string, unknown>> = [];
try {
  for (const scenario of scenarios) {
    for (const variant of variants) {
      await admin(sandbox.url, '/_admin/reset', 'POST');
      await admin(
        sandbox.url,
        '/_admin/apis/crm/faults',
        'PUT',
        scenario.latencyMs > 0 ? { latency: { type: 'fixed', ms: scenario.latencyMs } } : {},
      );
      const sandboxCpuBefore = childCpuMicros(sandbox.child.pid);
      const result =
        variant === 'kit'
          ? await runKit(sandbox.url, scenario)
          : await runPlain(sandbox.url, scenario);
      const sandboxCpuAfter = childCpuMicros(sandbox.child.pid);
      const events =
        variant === 'kit'
          ? Math.round(scenario.kitEvents * scale)
          : Math.round(scenario.plainEvents * scale);
      const row = {
        maxConcurrent: concurrencyOf(scenario),
        scenario: scenario.name,
        variant,
        latencyMs: scenario.latencyMs,
        ...result,
        // The API process's CPU per event (includes the bench's admin reads of its logs).
        ...(sandboxCpuBefore !== undefined && sandboxCpuAfter !== undefined
          ? { sandboxCpuMicrosPerEvent: Math.round((sandboxCpuAfter - sandboxCpuBefore) / events) }
          : {}),
        loadavg1m: Number(loadavg()[0]!.toFixed(2)),
        events,
      };
      console.log(JSON.stringify(row));
      results.push(row);
    }
  }
} finally {
  sandbox.child.kill('SIGTERM');
  await codec.close();
  await telemetry?.shutdown();
}

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const setup = {
  at: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  },
  node: process.version,
  kafkajs: rootPackage.dependencies.kafkajs,
  undici: rootPackage.dependencies.undici,
  partitions: PARTITIONS,
  payload: 'UserRegistered, Avro ~200 bytes, distinct keys',
  api: 'sandbox CRM PUT /v1/contacts/:id (separate process), fixed latency',
  kit: {
    ...kitEnv,
    ledger: 'on (one ApiCallAttempted per attempt)',
    tracing:
      sampling === undefined
        ? 'SDK not started (no spans exported)'
        : `SDK started, parentbased_traceidratio ${sampling}, OTLP to Jaeger; metrics on`,
  },
  plain: {
    partitionsConsumedConcurrently: PARTITIONS,
    autoCommit: true,
    client: 'same DownstreamClient and bulkhead (maxConcurrent per row)',
  },
  scale,
};
// `--out=<file>` keeps exploratory runs from replacing the recorded one.
const outFile =
  process.argv.find((a) => a.startsWith('--out='))?.slice(6) ?? join(here, 'last-run.json');
writeFileSync(outFile, `${JSON.stringify({ setup, results }, null, 2)}\n`);
console.log(JSON.stringify(setup));
process.exit(0);
