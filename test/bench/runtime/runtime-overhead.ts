// Benchmark (not a test): the consumer runtime's own CPU per event, without a broker. A stand-in
// kafkajs client hands the runtime synthetic batches (records with the headers EventPublisher
// writes, JSON in Confluent framing) straight into eachBatch, the handler does nothing, and the
// commits go nowhere. What is left is the runtime's work per event: headers, trace context and
// spans, the key scheduler, the offset tracker, the dedupe store, the codec and the events the
// kit listens to. CPU time (process.cpuUsage) per event, median of the repetitions.
//
//   node --import tsx test/bench/runtime/runtime-overhead.ts [--events=N] [--reps=N]
//     [--batch=N] [--no-dedupe] [--sampling=<ratio>]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { createConsumerRuntime } from '@fanout/messaging';
import { JsonWireCodec } from '../../integration/messaging/json-codec';
import { startSampledTelemetry } from '../sampled-telemetry';

const argValue = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const EVENTS = Number(argValue('events') ?? 50_000);
const REPS = Number(argValue('reps') ?? 5);
const BATCH = Number(argValue('batch') ?? 100);
const dedupe = !process.argv.includes('--no-dedupe');
const sampling = argValue('sampling');

const telemetry = startSampledTelemetry('runtime-overhead-bench', sampling);

const codec = new JsonWireCodec();
const TOPIC = 'bench.runtime-overhead';

/** Records as EventPublisher writes them: key, framed value, the standard headers. */
async function records(count: number, firstOffset: number): Promise<KafkaMessage[]> {
  const out: KafkaMessage[] = [];
  for (let i = 0; i < count; i += 1) {
    const eventId = randomUUID();
    const key = `user-${(firstOffset + i) % 5_000}`;
    const sampled = Math.random() < Number(sampling ?? 0) ? '01' : '00';
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${sampled}`;
    out.push({
      key: Buffer.from(key),
      value: await codec.encode('fanout.bench.Thing', {
        metadata: {
          eventId,
          occurredAt: Date.now(),
          correlationId: randomUUID(),
          causationId: null,
          producer: 'bench',
        },
        key,
        filler: 'x'.repeat(120),
      }),
      timestamp: String(Date.now()),
      attributes: 0,
      offset: String(firstOffset + i),
      size: 0,
      headers: {
        traceparent: Buffer.from(traceparent),
        'messaging.message.id': Buffer.from(eventId),
        'messaging.message.conversation_id': Buffer.from(randomUUID()),
        'fanout.event_type': Buffer.from('fanout.bench.Thing'),
        'fanout.producer': Buffer.from('bench'),
        'fanout.occurred_at': Buffer.from(String(Date.now())),
      },
    } as unknown as KafkaMessage);
  }
  return out;
}

/** Just enough of a kafkajs client for the runtime: eachBatch is captured, commits vanish. */
function standInKafka(): { kafka: Kafka; eachBatch: () => (p: EachBatchPayload) => Promise<void> } {
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const noop = async () => undefined;
  const kafka = {
    admin: () => ({
      connect: noop,
      disconnect: noop,
      fetchTopicMetadata: async () => ({ topics: [{ name: TOPIC, partitions: [{}] }] }),
      listTopics: async () => [],
      createTopics: async () => true,
    }),
    producer: () => ({ connect: noop, disconnect: noop, send: async () => [] }),
    consumer: () => ({
      connect: noop,
      disconnect: noop,
      subscribe: noop,
      on: () => () => undefined,
      events: { GROUP_JOIN: 'consumer.group_join', REBALANCING: 'consumer.rebalancing' },
      run: async (config: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
        eachBatch = config.eachBatch;
      },
      pause: () => undefined,
      resume: () => undefined,
      commitOffsets: noop,
    }),
  } as unknown as Kafka;
  return { kafka, eachBatch: () => eachBatch! };
}

function payload(messages: KafkaMessage[]): EachBatchPayload {
  const last = messages.at(-1)!.offset;
  return {
    batch: {
      topic: TOPIC,
      partition: 0,
      highWatermark: String(Number(last) + 1),
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => last,
      offsetLag: () => '0',
      offsetLagLow: () => '0',
    },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    pause: () => () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload;
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-rt-overhead-'));
const { kafka, eachBatch } = standInKafka();
let handled = 0;
const runtime = createConsumerRuntime({
  kafka,
  groupId: 'bench-overhead',
  topics: [TOPIC],
  codec,
  concurrency: { perPartition: 500 },
  dedupe: dedupe ? { dataDir } : false,
  handler: async () => {
    handled += 1;
  },
});
// The kit listens to these (metrics); the listeners are part of the cost.
runtime.events.on('processed', () => undefined);
runtime.events.on('batch', () => undefined);
await runtime.start();

let offset = 0;
async function run(count: number): Promise<{ micros: number; wallMs: number }> {
  const batches: KafkaMessage[][] = [];
  for (let n = 0; n < count; n += BATCH) {
    batches.push(await records(Math.min(BATCH, count - n), offset));
    offset += BATCH;
  }
  const target = handled + count;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const messages of batches) await eachBatch()(payload(messages));
  while (handled < target) await new Promise((resolve) => setImmediate(resolve));
  // Let completions settle (offset tracker, dedupe remember) before reading the clock.
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  return { micros: (used.user + used.system) / count, wallMs: performance.now() - started };
}

await run(Math.min(EVENTS, 20_000)); // warm-up: JIT and SQLite caches
const perEvent: number[] = [];
for (let rep = 0; rep < REPS; rep += 1) {
  const { micros } = await run(EVENTS);
  perEvent.push(micros);
}
await runtime.stop({ deadlineMs: 5_000 });
await telemetry?.shutdown();
rmSync(dataDir, { recursive: true, force: true });
const sorted = [...perEvent].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    benchmark: 'consumer runtime CPU per event, no broker',
    events: EVENTS,
    reps: REPS,
    batch: BATCH,
    dedupe,
    sampling: sampling ?? 'no SDK',
    cpuMicrosPerEvent: {
      median: Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(1)),
      min: Number(sorted[0]!.toFixed(1)),
      runs: perEvent.map((v) => Number(v.toFixed(1))),
    },
  }),
);
process.exit(0);
