// Benchmark (not a test): the order saga end to end on the real broker and registry.
//   1. throughput: sagas/s completed with 0 ms participants;
//   2. duration: p50/p99 saga duration with inventory 200 ms ∥ payment 300 ms, then shipping 150 ms.
// The coordinator runs as its own process, as deployed (`node --import tsx .../main.ts`); this
// process places the orders, plays the three participants and reads the terminal events.
// Writes test/bench/saga/results/saga.json; docs/saga-benchmark.md reports it.
//
//   node --import tsx test/bench/saga/saga-bench.ts [--orders=N] [--rate=N] [--light-rate=N] [--seconds=N]
//     [--json-out=<file>]   (default test/bench/saga/results/saga.json)
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, Message, Producer } from 'kafkajs';
import { EventTypes } from '@fanout/saga-coordinator/coordinator';
import { uniqueName } from '@fanout/test-platform';
import { spawnCoordinator } from '../../integration/saga/coordinator-process';
import type { CoordinatorProcess } from '../../integration/saga/coordinator-process';
import {
  createSagaTopics,
  createTopicsSettled,
  newCodec,
  newKafka,
  orderPlaced,
  sleep,
  succeed,
} from '../../integration/saga/saga-fixtures';
import type { SagaTopicEnv } from '../../integration/saga/saga-fixtures';

const argValue = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const ORDERS = Number(argValue('orders') ?? 3_000);
const RATE = Number(argValue('rate') ?? 20);
const SECONDS = Number(argValue('seconds') ?? 20);
const LIGHT_RATE = Number(argValue('light-rate') ?? 2);
const PARTITIONS = 6;
const root = fileURLToPath(new URL('../../../', import.meta.url));

const kafka = newKafka('saga-bench');
const codec = newCodec();

type Delays = Partial<Record<string, number>>;

/**
 * The three participants at once, built for speed: a batch of commands is answered with one
 * produce request (after the configured delay per command type).
 */
class FastResponder {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private pending: Message[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly topics: SagaTopicEnv,
    private readonly delays: Delays,
  ) {
    this.consumer = kafka.consumer({
      groupId: uniqueName('saga-bench-participants'),
      maxWaitTimeInMs: 20,
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [
        this.topics.INVENTORY_COMMANDS_TOPIC,
        this.topics.PAYMENT_COMMANDS_TOPIC,
        this.topics.SHIPPING_COMMANDS_TOPIC,
      ],
      fromBeginning: true,
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const decoded = await codec.decode(message.value!);
          const command = {
            topic: batch.topic,
            partition: batch.partition,
            key: message.key!.toString(),
            eventType: decoded.eventType,
            value: decoded.value as Record<string, unknown>,
            headers: {},
            receivedAt: Date.now(),
          };
          for (const reply of succeed(command) ?? []) {
            const orderId = command.key;
            const bytes = await codec.encode(
              reply.eventType,
              {
                metadata: {
                  eventId: randomUUID(),
                  occurredAt: Date.now(),
                  correlationId: orderId,
                  causationId: null,
                  producer: 'bench-participant',
                },
                orderId,
                ...reply.payload,
              },
              this.topics.SAGA_REPLIES_TOPIC,
            );
            const record: Message = { key: orderId, value: bytes };
            const delay = this.delays[decoded.eventType] ?? 0;
            if (delay > 0) setTimeout(() => this.enqueue(record), delay);
            else this.enqueue(record);
          }
        }
      },
    });
  }

  private enqueue(record: Message): void {
    this.pending.push(record);
    this.flushing ??= (async () => {
      await Promise.resolve();
      while (this.pending.length > 0) {
        const messages = this.pending;
        this.pending = [];
        await this.producer.send({ topic: this.topics.SAGA_REPLIES_TOPIC, acks: -1, messages });
      }
      this.flushing = undefined;
    })();
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.flushing;
    await this.producer.disconnect();
  }
}

/** Reads terminal events and notes when each order's arrived. */
class OutcomeReader {
  readonly ended = new Map<string, { at: number; eventType: string }>();
  duplicates = 0;
  private readonly consumer: Consumer;

  constructor(private readonly topic: string) {
    this.consumer = kafka.consumer({
      groupId: uniqueName('saga-bench-outcomes'),
      maxWaitTimeInMs: 20,
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const at = Date.now();
        for (const message of batch.messages) {
          const type = message.headers?.['fanout.event_type']?.toString();
          if (type !== EventTypes.OrderConfirmed && type !== EventTypes.OrderCancelled) continue;
          const id = message.key!.toString();
          if (this.ended.has(id)) this.duplicates++;
          else this.ended.set(id, { at, eventType: type });
        }
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function scenario(
  name: string,
  delays: Delays,
  plan: (place: (id: string) => Promise<void>) => Promise<string[]>,
) {
  const topics = await createSagaTopics(kafka, PARTITIONS);
  const group = uniqueName('saga-bench');
  let coordinator: CoordinatorProcess | undefined;
  const responder = new FastResponder(topics, delays);
  const outcomes = new OutcomeReader(topics.ORDER_EVENTS_TOPIC);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    coordinator = await spawnCoordinator(topics, {
      SAGA_GROUP_ID: group,
      SAGA_TRANSACTIONAL_ID_PREFIX: group,
      LOG_LEVEL: process.env.SAGA_BENCH_LOG_LEVEL ?? 'warn',
      OTEL_TRACES_EXPORTER: 'none',
    });
    await Promise.all([responder.start(), outcomes.start(), producer.connect()]);
    const placedAt = new Map<string, number>();
    const place = async (orderId: string) => {
      const bytes = await codec.encode(
        EventTypes.OrderPlaced,
        orderPlaced({ orderId }),
        topics.ORDER_EVENTS_TOPIC,
      );
      placedAt.set(orderId, Date.now());
      await producer.send({
        topic: topics.ORDER_EVENTS_TOPIC,
        acks: -1,
        messages: [
          { key: orderId, value: bytes, headers: { 'fanout.event_type': EventTypes.OrderPlaced } },
        ],
      });
    };
    // Warm-up: registry subjects, connections, JIT.
    for (let i = 0; i < 20; i++) await place(`warmup-${randomUUID()}`);
    const warmDeadline = Date.now() + 60_000;
    while (outcomes.ended.size < 20 && Date.now() < warmDeadline) await sleep(50);
    outcomes.ended.clear();
    placedAt.clear();

    const started = Date.now();
    const ids = await plan(place);
    const deadline = Date.now() + 180_000;
    while (ids.some((id) => !outcomes.ended.has(id)) && Date.now() < deadline) await sleep(20);
    const finished = Math.max(...ids.map((id) => outcomes.ended.get(id)?.at ?? Date.now()));
    const durations = ids
      .filter((id) => outcomes.ended.has(id))
      .map((id) => outcomes.ended.get(id)!.at - placedAt.get(id)!)
      .sort((a, b) => a - b);
    const result = {
      name,
      delays,
      sagas: ids.length,
      completed: durations.length,
      confirmed: ids.filter((id) => outcomes.ended.get(id)?.eventType === EventTypes.OrderConfirmed)
        .length,
      duplicateTerminalEvents: outcomes.duplicates,
      wallSeconds: (finished - started) / 1_000,
      sagasPerSecond: durations.length / ((finished - started) / 1_000),
      durationMs: {
        p50: percentile(durations, 50),
        p95: percentile(durations, 95),
        p99: percentile(durations, 99),
        max: durations[durations.length - 1],
      },
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    if (process.env.SAGA_BENCH_LOG_LEVEL && coordinator)
      writeFileSync(`/tmp/saga-bench-${name.slice(0, 8)}.log`, coordinator.output.join('\n'));
    await coordinator?.kill('SIGTERM');
    await Promise.allSettled([responder.stop(), outcomes.stop(), producer.disconnect()]);
  }
}

/**
 * Calibration: what the broker gives a bare transaction right now (one record on each of three
 * topics + sendOffsets + commit), one producer alone and six at once. On a shared machine this
 * bounds every saga figure below: each saga input is applied in a transaction.
 */
async function calibrateTransactions(): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const base = uniqueName('saga-bench-txn');
  const names = [`${base}-a`, `${base}-b`, `${base}-c`];
  await createTopicsSettled(admin, {
    topics: names.map((topic) => ({
      topic,
      numPartitions: 6,
      replicationFactor: 1,
      configEntries: [],
    })),
  });
  const result: Record<string, number> = {};
  for (const concurrency of [1, 6]) {
    const producers = await Promise.all(
      Array.from({ length: concurrency }, async (_, k) => {
        const p = kafka.producer({
          transactionalId: `${base}-${concurrency}-${k}`,
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await p.connect();
        return p;
      }),
    );
    const perProducer = 20;
    const started = Date.now();
    await Promise.all(
      producers.map(async (p, k) => {
        for (let i = 0; i < perProducer; i++) {
          const tx = await p.transaction();
          await tx.sendBatch({
            acks: -1,
            topicMessages: names.map((topic) => ({
              topic,
              messages: [{ key: 'k', value: 'v', partition: k }],
            })),
          });
          await tx.sendOffsets({
            consumerGroupId: `${base}-group`,
            topics: [{ topic: names[0]!, partitions: [{ partition: k, offset: String(i + 1) }] }],
          });
          await tx.commit();
        }
      }),
    );
    const ms = Date.now() - started;
    result[`producers${concurrency}TxnPerSecond`] = (concurrency * perProducer) / (ms / 1_000);
    result[`producers${concurrency}MsPerTxn`] = ms / perProducer;
    await Promise.all(producers.map((p) => p.disconnect()));
  }
  await admin.deleteTopics({ topics: names }).catch(() => undefined);
  await admin.disconnect();
  console.log(JSON.stringify({ calibration: result }));
  return result;
}

const loadBefore = loadavg();
const calibration = await calibrateTransactions();
const throughput = await scenario('throughput, 0 ms participants', {}, async (place) => {
  const ids = Array.from({ length: ORDERS }, () => `order-${randomUUID()}`);
  // As fast as this process can place them, 50 in flight.
  for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map(place));
  return ids;
});

const timedDelays = {
  [EventTypes.ReserveInventory]: 200,
  [EventTypes.AuthorizePayment]: 300,
  [EventTypes.CreateShipment]: 150,
};
/** Orders at a steady rate, so the duration is measured at a known load. */
const steady = (rate: number) => async (place: (id: string) => Promise<void>) => {
  const ids: string[] = [];
  const total = rate * SECONDS;
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1_000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const id = `order-${randomUUID()}`;
    ids.push(id);
    void place(id);
  }
  return ids;
};
// Once well below capacity (the saga's own latency), once at the rate asked for.
const latencyLight = await scenario(
  `duration at ${LIGHT_RATE} orders/s, inventory 200 ms ∥ payment 300 ms, then shipping 150 ms`,
  timedDelays,
  steady(LIGHT_RATE),
);
const latency = await scenario(
  `duration at ${RATE} orders/s, inventory 200 ms ∥ payment 300 ms, then shipping 150 ms`,
  timedDelays,
  steady(RATE),
);

const pkg = (name: string) =>
  (
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
const report = {
  ranAt: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Shared with the broker, registry, Jaeger and other engineers' runs while measuring.
    loadAverage1mBefore: loadBefore[0],
    loadAverage1mAfter: loadavg()[0],
  },
  setup: {
    node: process.version,
    kafkajs: pkg('kafkajs'),
    broker: 'Kafka 4.1.1 KRaft, single node, same machine',
    partitions: PARTITIONS,
    acks: 'all (-1), idempotent producers; coordinator transactional, consumers read_committed',
    tracing: 'coordinator OTEL_TRACES_EXPORTER=none',
    coordinator: '1 process (node --import tsx services/saga-coordinator/src/main.ts), tick 100 ms',
    participants:
      'played by the benchmark process: one consumer for the 3 command topics, replies batched',
    duration:
      'from OrderPlaced produce call to the terminal event read by the benchmark (read_committed)',
    latencyLoad: `${LIGHT_RATE} and ${RATE} orders/s, ${SECONDS} s each`,
  },
  brokerTransactionCalibration: calibration,
  results: [throughput, latencyLight, latency],
};
const out = argValue('json-out') ?? join(root, 'test/bench/saga/results/saga.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${out}`);
await codec.close();
process.exit(0);
