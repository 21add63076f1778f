// Benchmark (not a test): the Fanout consumer runtime against a plain kafkajs eachMessage
// consumer doing the same work (decode + handler), with a 20 ms and a 0 ms handler, on one
// partition and on several. Writes docs/bench-results/runtime.json.
//
//   node --import tsx test/bench/runtime/runtime-bench.ts [--quick] [--reps=N] [--only=<scenario>]
//     [--json-out=<file>]   (npm run bench passes this, so docs/bench-results/runtime.json stays as recorded)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { EventPublisher, createConsumerRuntime } from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { JsonWireCodec } from '../../integration/messaging/json-codec';

interface Scenario {
  name: string;
  /** The runtime's SQLite dedupe of redeliveries (on in production). */
  dedupe?: boolean;
  handlerMs: number;
  partitions: number;
  plainMessages: number;
  runtimeMessages: number;
}

const argValue = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = process.argv.includes('--quick');
const only = argValue('only');
// The machine is shared: each pair runs REPS times, interleaved, and the median counts.
const REPS = Number(argValue('reps') ?? (quick ? 1 : 3));
const scale = quick ? 0.2 : 1;
const scenarios: Scenario[] = [
  { name: '20ms-1p', handlerMs: 20, partitions: 1, plainMessages: 300, runtimeMessages: 15_000 },
  { name: '20ms-4p', handlerMs: 20, partitions: 4, plainMessages: 1_000, runtimeMessages: 20_000 },
  { name: '0ms-1p', handlerMs: 0, partitions: 1, plainMessages: 30_000, runtimeMessages: 30_000 },
  { name: '0ms-4p', handlerMs: 0, partitions: 4, plainMessages: 30_000, runtimeMessages: 30_000 },
  // The same without the dedupe store, to show what its SQLite writes cost.
  {
    name: '0ms-1p-nodedupe',
    dedupe: false,
    handlerMs: 0,
    partitions: 1,
    plainMessages: 30_000,
    runtimeMessages: 30_000,
  },
  {
    name: '0ms-4p-nodedupe',
    dedupe: false,
    handlerMs: 0,
    partitions: 4,
    plainMessages: 30_000,
    runtimeMessages: 30_000,
  },
]
  .map((s) => ({
    ...s,
    plainMessages: Math.round(s.plainMessages * scale),
    runtimeMessages: Math.round(s.runtimeMessages * scale),
  }))
  .filter((s) => !only || s.name === only);

const KEYS = 5_000;
const PER_PARTITION = 200;
const PAYLOAD_BYTES = 256;
const root = fileURLToPath(new URL('../../../', import.meta.url));
const kafka = new Kafka({
  clientId: 'runtime-bench',
  brokers: platformEndpoints().kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const codec = new JsonWireCodec();
const prefix = uniqueName('bench-rt');
const dataDir = mkdtempSync(join(tmpdir(), 'bench-rt-'));

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions }],
  });
  await admin.disconnect();
}

/** N events over KEYS distinct keys, each key's events numbered in order. */
async function produce(topic: string, count: number): Promise<void> {
  const publisher = new EventPublisher({ kafka, codec });
  await publisher.connect();
  const filler = 'x'.repeat(PAYLOAD_BYTES - 200);
  for (let start = 0; start < count; start += 1_000) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 1_000); i += 1) {
      const key = `k${i % KEYS}`;
      batch.push({
        topic,
        key,
        eventType: 'fanout.bench.Thing',
        value: {
          metadata: {
            eventId: randomUUID(),
            occurredAt: Date.now(),
            correlationId: randomUUID(),
            causationId: null,
            producer: 'bench',
          },
          key,
          seq: Math.floor(i / KEYS),
          filler,
        },
      });
    }
    await publisher.publishBatch(batch);
  }
  await publisher.disconnect();
}

interface Measured {
  messages: number;
  seconds: number;
  perSecond: number;
  orderViolations: number;
  /** This process's CPU (user + system) from the first handled message to the last, per message. */
  cpuMicrosPerMessage: number;
}

/** The same work for both consumers: the handler, a per-key order check, the timing. */
function makeWork(handlerMs: number, expected: number) {
  const lastSeq = new Map<string, number>();
  let violations = 0;
  let count = 0;
  let first = 0;
  let last = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let cpuUsed: NodeJS.CpuUsage | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  return {
    finished,
    async handle(value: unknown): Promise<void> {
      if (first === 0) {
        first = performance.now();
        cpuAtFirst = process.cpuUsage();
      }
      if (handlerMs > 0) await sleep(handlerMs);
      const { key, seq } = value as { key: string; seq: number };
      const previous = lastSeq.get(key) ?? -1;
      if (seq !== previous + 1) violations += 1;
      lastSeq.set(key, seq);
      count += 1;
      if (count === expected) {
        last = performance.now();
        cpuUsed = process.cpuUsage(cpuAtFirst);
        done();
      }
    },
    result(): Measured {
      const seconds = (last - first) / 1000;
      return {
        messages: count,
        seconds: Math.round(seconds * 1000) / 1000,
        perSecond: Math.round(count / seconds),
        orderViolations: violations,
        cpuMicrosPerMessage: cpuUsed
          ? Math.round(((cpuUsed.user + cpuUsed.system) / count) * 10) / 10
          : NaN,
      };
    },
  };
}

async function runPlain(s: Scenario, rep: number): Promise<Measured> {
  const topic = `${prefix}-${s.name}-plain-${rep}`;
  await createTopic(topic, s.partitions);
  await produce(topic, s.plainMessages);
  const work = makeWork(s.handlerMs, s.plainMessages);
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: s.partitions,
    eachMessage: async ({ message }) => {
      const decoded = await codec.decode(message.value!);
      await work.handle(decoded.value);
    },
  });
  await withTimeout(work.finished, 600_000, `plain ${s.name}`);
  await consumer.disconnect();
  return work.result();
}

async function runRuntime(s: Scenario, rep: number): Promise<Measured> {
  const topic = `${prefix}-${s.name}-runtime-${rep}`;
  await createTopic(topic, s.partitions);
  await produce(topic, s.runtimeMessages);
  const work = makeWork(s.handlerMs, s.runtimeMessages);
  const runtime = createConsumerRuntime({
    kafka,
    groupId: `${topic}-group`,
    topics: [topic],
    codec,
    concurrency: { perPartition: PER_PARTITION },
    dedupe: s.dedupe === false ? false : { dataDir },
    handler: (event) => work.handle(event.value),
  });
  await runtime.start();
  await withTimeout(work.finished, 600_000, `runtime ${s.name}`);
  await runtime.stop({ deadlineMs: 5_000 });
  return work.result();
}

async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer!: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function version(pkg: string): string {
  const file = join(root, 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const loadAtStart = loadavg()[0]!;
const results = [];
try {
  for (const s of scenarios) {
    const plainRuns: Measured[] = [];
    const runtimeRuns: Measured[] = [];
    for (let rep = 1; rep <= REPS; rep += 1) {
      process.stdout.write(
        `▶ ${s.name} #${rep}: plain eachMessage (${s.plainMessages} messages)… `,
      );
      plainRuns.push(await runPlain(s, rep));
      process.stdout.write(
        `${plainRuns.at(-1)!.perSecond}/s, ${plainRuns.at(-1)!.cpuMicrosPerMessage} µs CPU/msg\n`,
      );
      process.stdout.write(`▶ ${s.name} #${rep}: runtime (${s.runtimeMessages} messages)… `);
      runtimeRuns.push(await runRuntime(s, rep));
      process.stdout.write(
        `${runtimeRuns.at(-1)!.perSecond}/s, ${runtimeRuns.at(-1)!.cpuMicrosPerMessage} µs CPU/msg\n`,
      );
    }
    const plain = median(plainRuns.map((r) => r.perSecond));
    const runtime = median(runtimeRuns.map((r) => r.perSecond));
    const ratio = runtime / plain;
    const violations = {
      plain: plainRuns.reduce((n, r) => n + r.orderViolations, 0),
      runtime: runtimeRuns.reduce((n, r) => n + r.orderViolations, 0),
    };
    results.push({
      scenario: s.name,
      handlerMs: s.handlerMs,
      partitions: s.partitions,
      dedupe: s.dedupe !== false,
      messages: { plain: s.plainMessages, runtime: s.runtimeMessages },
      medianPerSecond: { plain, runtime },
      medianCpuMicrosPerMessage: {
        plain: median(plainRuns.map((r) => r.cpuMicrosPerMessage)),
        runtime: median(runtimeRuns.map((r) => r.cpuMicrosPerMessage)),
      },
      ratio: Math.round(ratio * 100) / 100,
      orderViolations: violations,
      runs: { plain: plainRuns, runtime: runtimeRuns },
    });
    console.log(
      `  ${s.name}: median ratio ${ratio.toFixed(2)}× · order violations: plain ${violations.plain}, runtime ${violations.runtime}`,
    );
  }
} finally {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}

const report = {
  benchmark: 'consumer runtime vs plain kafkajs eachMessage',
  measuredAt: new Date().toISOString(),
  quick,
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    note: 'the broker, registry, Jaeger and other work share the same 2 cores',
    loadAverage1m: { atStart: loadAtStart, atEnd: loadavg()[0] },
  },
  versions: {
    kafkajs: version('kafkajs'),
    kafka: '4.1.1 (KRaft, single node)',
    'better-sqlite3': version('better-sqlite3'),
  },
  settings: {
    payloadBytes: PAYLOAD_BYTES,
    distinctKeys: KEYS,
    producer: 'EventPublisher (idempotent, acks=all), JSON in Confluent framing',
    plain:
      'eachMessage, kafkajs defaults (autoCommit on), partitionsConsumedConcurrently = partitions',
    runtime: `eachBatch, perPartition in flight ${PER_PARTITION}, commit every 1 s, SQLite dedupe on unless the scenario says nodedupe, tracing API without SDK (no-op)`,
    work: 'decode through the codec, then sleep(handlerMs) and a per-key order check',
    throughput: 'messages / time from the first handled message to the last',
    repetitions: `${REPS} per consumer, interleaved; the median is reported`,
  },
  targets: {
    '20ms-1p': 'runtime ≥ 50× plain, per-key order holds',
    '0ms': 'runtime ≥ 0.9× plain',
  },
  results,
};
const out =
  argValue('json-out') ??
  join(root, 'docs', 'bench-results', only ? `runtime-${only}.json` : 'runtime.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`results written to ${out}`);
