// Benchmark (not a test): events/s delivered to the CRM API by one crm-consumer instance (the
// consumer kit on the Fanout runtime) against a plain kafkajs eachMessage consumer calling the
// same API through the same client, with 0 ms and 50 ms API latency. The sandbox runs as its own
// process, so the consumers do not share an event loop with the API they call.
// Writes test/bench/consumers/last-run.json; docs/consumer-benchmark.md records the numbers.
//
//   node --import tsx test/bench/consumers/consumer-bench.ts [--quick] [--only=0ms|50ms]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { RegistryCodec, newMetadata } from '@fanout/contracts';
import type { UserRegistered } from '@fanout/contracts';
import { startConsumerService } from '@fanout/consumer-kit';
import { crmConsumer } from '@fanout/crm-consumer/consumer';
import { CrmApi, DownstreamClient, Secret, idempotencyKey } from '@fanout/downstream';
import { createLogger } from '@fanout/telemetry';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

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
const kitEnv = {
  CONSUMER_CONCURRENCY: '200',
  DEDUPE_ENABLED: process.argv.includes('--no-dedupe') ? 'false' : 'true',
  LOG_LEVEL: 'warn',
};

const endpoints = platformEndpoints();
const kafka = new Kafka({
  clientId: 'consumer-bench',
  brokers: endpoints.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const codec = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl } });

async function startSandboxProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/sandbox-apis/src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'none',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sandbox did not start in 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  child.stdout!.resume();
  return { child, url };
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

/** Pre-produces `count` registrations (≈ 200-byte Avro payloads, distinct keys). */
async function fill(topic: string, count: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let start = 0; start < count; start += 1_000) {
    const messages = await Promise.all(
      Array.from({ length: Math.min(1_000, count - start) }, async (_, i) => {
        const userId = `bench-${start + i}-${Math.random().toString(36).slice(2, 8)}`;
        const value: UserRegistered = {
          metadata: newMetadata({ producer: 'consumer-bench' }),
          userId,
          email: `${userId}@example.com`,
          name: `Bench User ${start + i}`,
          marketingConsent: false,
          locale: 'en-GB',
        };
        return {
          key: userId,
          value: await codec.encode('fanout.user.UserRegistered', value, topic),
        };
      }),
    );
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

interface SandboxRequest {
  at: number;
  status: number;
  durationMs: number;
}

/** Waits until `count` contacts exist, then measures first request start → last response. */
async function measure(
  url: string,
  count: number,
  timeoutMs: number,
): Promise<{
  eventsPerSecond: number;
  seconds: number;
  requests: number;
  statuses: Record<string, number>;
}> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = (await admin(url, '/_admin/effects?api=crm&limit=1')) as {
      totals: { keys: number };
    };
    if (report.totals.keys >= count) break;
    if (Date.now() > deadline)
      throw new Error(`only ${report.totals.keys}/${count} delivered in ${timeoutMs} ms`);
    await sleep(500);
  }
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
  };
}

async function runKit(
  url: string,
  scenario: Scenario,
): Promise<Awaited<ReturnType<typeof measure>>> {
  const count = Math.round(scenario.kitEvents * scale);
  const topic = await createTopic();
  await fill(topic, count);
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
  const service = await startConsumerService(crmConsumer, config, {
    logger: createLogger({ name: 'bench', level: 'warn' }),
  });
  try {
    await service.consuming;
    return await measure(url, count, 600_000);
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
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
    return await measure(url, count, 600_000);
  } finally {
    await consumer.disconnect();
    await downstream.close();
  }
}

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
      const result =
        variant === 'kit'
          ? await runKit(sandbox.url, scenario)
          : await runPlain(sandbox.url, scenario);
      const row = {
        maxConcurrent: concurrencyOf(scenario),
        scenario: scenario.name,
        variant,
        latencyMs: scenario.latencyMs,
        ...result,
        events:
          variant === 'kit'
            ? Math.round(scenario.kitEvents * scale)
            : Math.round(scenario.plainEvents * scale),
      };
      console.log(JSON.stringify(row));
      results.push(row);
    }
  }
} finally {
  sandbox.child.kill('SIGTERM');
  await codec.close();
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
    tracing: 'SDK not started (no spans exported)',
  },
  plain: {
    partitionsConsumedConcurrently: PARTITIONS,
    autoCommit: true,
    client: 'same DownstreamClient and bulkhead (maxConcurrent per row)',
  },
  scale,
};
writeFileSync(join(here, 'last-run.json'), `${JSON.stringify({ setup, results }, null, 2)}\n`);
console.log(JSON.stringify(setup));
process.exit(0);
