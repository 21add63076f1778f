// Benchmark (not a test): the order saga end to end on the real broker and registry.
//   1. throughput: sagas/s completed with 0 ms participants;
//   2. duration: p50/p99 saga duration with inventory 200 ms ∥ payment 300 ms, then shipping 150 ms.
// The coordinator runs as its own process, as deployed (`node --import tsx .../main.ts`); this
// process places the orders, plays the three participants and reads the terminal events.
// Writes test/bench/saga/results/saga.json; docs/saga-benchmark.md reports it.
//
//   node --import tsx test/bench/saga/saga-bench.ts [--orders=N] [--rate=N] [--seconds=N]
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, Message, Producer } from 'kafkajs';
import { EventTypes } from '@fanout/saga-coordinator/coordinator';
import { uniqueName } from '@fanout/test-platform';
import { spawnCoordinator } from '../../integration/saga/coordinator-process';
import type { CoordinatorProcess } from '../../integration/saga/coordinator-process';
import {
  createSagaTopics,
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

const throughput = await scenario('throughput, 0 ms participants', {}, async (place) => {
  const ids = Array.from({ length: ORDERS }, () => `order-${randomUUID()}`);
  // As fast as this process can place them, 50 in flight.
  for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map(place));
  return ids;
});

const latency = await scenario(
  'duration, inventory 200 ms ∥ payment 300 ms, then shipping 150 ms',
  {
    [EventTypes.ReserveInventory]: 200,
    [EventTypes.AuthorizePayment]: 300,
    [EventTypes.CreateShipment]: 150,
  },
  async (place) => {
    const ids: string[] = [];
    const total = RATE * SECONDS;
    const start = Date.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1_000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const id = `order-${randomUUID()}`;
      ids.push(id);
      void place(id);
    }
    return ids;
  },
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
    latencyLoad: `${RATE} orders/s for ${SECONDS} s`,
  },
  results: [throughput, latency],
};
const out = join(root, 'test/bench/saga/results/saga.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${out}`);
await codec.close();
process.exit(0);
