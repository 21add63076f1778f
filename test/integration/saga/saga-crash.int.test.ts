import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { EventTypes } from '@fanout/saga-coordinator/coordinator';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { spawnCoordinator } from './coordinator-process';
import type { CoordinatorProcess } from './coordinator-process';
import {
  EventLog,
  Participants,
  TERMINAL_TYPES,
  TestProducer,
  createSagaTopics,
  failure,
  newCodec,
  newKafka,
  orderPlaced,
  sleep,
  succeed,
  waitFor,
  waitForAsync,
} from './saga-fixtures';
import type { Behaviour, SagaTopicEnv } from './saga-fixtures';

let kafka: Kafka;
let codec: RegistryCodec;
const children: CoordinatorProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  kafka = newKafka();
  codec = newCodec();
});

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await codec?.close();
});

/** Topics, the played participants, and readers of the order and command topics. */
async function world(behaviour: Behaviour) {
  const topics: SagaTopicEnv = await createSagaTopics(kafka);
  const participants = new Participants(kafka, codec, topics, behaviour);
  const orders = new EventLog(kafka, codec, [topics.ORDER_EVENTS_TOPIC]);
  const producer = new TestProducer(kafka, codec);
  await Promise.all([participants.start(), orders.start(), producer.connect()]);
  cleanups.push(() =>
    Promise.all([participants.stop(), orders.stop(), producer.disconnect()]).then(() => undefined),
  );
  const group = uniqueName('saga-coordinator');
  const env = { SAGA_GROUP_ID: group, SAGA_TRANSACTIONAL_ID_PREFIX: group };
  const terminals = (orderId: string) =>
    orders.of(orderId).filter((e) => TERMINAL_TYPES.includes(e.eventType));
  const place = async (orderId: string, headers: Record<string, string> = {}) =>
    producer.send(
      topics.ORDER_EVENTS_TOPIC,
      orderId,
      EventTypes.OrderPlaced,
      orderPlaced({ orderId }),
      headers,
    );
  return { topics, participants, orders, env, terminals, place };
}

async function start(
  topics: SagaTopicEnv,
  env: Record<string, string>,
): Promise<CoordinatorProcess> {
  const child = await spawnCoordinator(topics, env);
  children.push(child);
  return child;
}

describe('saga coordinator processes', () => {
  it('a coordinator SIGKILLed mid-saga is restarted and every saga completes with one terminal event', async () => {
    // Payment answers late, so every saga is mid-flight when the coordinator dies.
    const behaviour: Behaviour = (c) =>
      c.eventType === EventTypes.AuthorizePayment
        ? (succeed(c) ?? []).map((r) => ({ ...r, delayMs: 2_000 }))
        : succeed(c);
    const w = await world(behaviour);
    const first = await start(w.topics, w.env);
    const ids = Array.from({ length: 8 }, () => `order-${randomUUID()}`);
    for (const id of ids) await w.place(id);
    await waitFor('every saga to send its first commands', () =>
      ids.every((id) => w.participants.commands.of(id, EventTypes.AuthorizePayment).length === 1),
    );
    await first.kill('SIGKILL');
    expect(ids.every((id) => w.terminals(id).length === 0)).toBe(true);

    await start(w.topics, w.env);
    await waitFor('every saga to end', () => ids.every((id) => w.terminals(id).length > 0), 60_000);
    await sleep(1_000);
    for (const id of ids) {
      expect(w.terminals(id).map((e) => e.eventType)).toEqual([EventTypes.OrderConfirmed]);
      // Transactions: nothing the dead process produced is seen twice.
      for (const command of [
        EventTypes.ReserveInventory,
        EventTypes.AuthorizePayment,
        EventTypes.CreateShipment,
      ])
        expect(w.participants.commands.of(id, command), `${command} of ${id}`).toHaveLength(1);
    }
  });

  it('with two coordinators, the sagas of one that is killed continue on the other', async () => {
    // Shipping holds its answers until the test releases them.
    const held = new Set<string>();
    const behaviour: Behaviour = (c) => {
      if (c.eventType !== EventTypes.CreateShipment) return succeed(c);
      held.add(String(c.value.orderId));
      return undefined;
    };
    const w = await world(behaviour);
    const a = await start(w.topics, w.env);
    const b = await start(w.topics, w.env);
    let split: { a: number[]; b: number[] } | undefined;
    await waitForAsync(
      'both instances to own partitions',
      async () => {
        const [pa, pb] = await Promise.all([a.ownedPartitions(), b.ownedPartitions()]);
        split = pa && pb ? { a: pa, b: pb } : undefined;
        return (
          split !== undefined &&
          split.a.length > 0 &&
          split.b.length > 0 &&
          split.a.length + split.b.length === 3
        );
      },
      40_000,
      500,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last split ${JSON.stringify(split)}`);
    });

    const ids = Array.from({ length: 12 }, () => `order-${randomUUID()}`);
    for (const id of ids) await w.place(id);
    await waitFor('every saga to reach shipping', () => ids.every((id) => held.has(id)), 30_000);
    // The command topics have the same partition count and key, so a command's partition is
    // its saga's partition.
    const partitionOf = (id: string) =>
      w.participants.commands.of(id, EventTypes.CreateShipment)[0]!.partition;
    const onA = ids.filter((id) => split!.a.includes(partitionOf(id)));
    expect(onA.length).toBeGreaterThan(0);

    await a.kill('SIGKILL');
    for (const id of ids)
      await w.participants.reply(id, EventTypes.ShipmentCreated, { shipmentId: `ship-${id}` });
    await waitFor(
      'every saga to end',
      () => ids.every((id) => w.terminals(id).length > 0),
      60_000,
      200,
    ).catch((error: unknown) => {
      const pending = ids.filter((id) => w.terminals(id).length === 0).map(partitionOf);
      throw new Error(
        `${String(error)}; unfinished on partitions ${pending.join(',')}; survivor log:\n${b.output.slice(-25).join('\n')}`,
      );
    });
    await sleep(1_000);
    for (const id of ids)
      expect(w.terminals(id).map((e) => e.eventType)).toEqual([EventTypes.OrderConfirmed]);
    expect((await b.ownedPartitions())?.sort()).toEqual([0, 1, 2]);
  });

  it("the saga's spans join the order's trace in Jaeger, compensation and OrderCancelled included, and the outcome is counted", async () => {
    const behaviour: Behaviour = (c) =>
      c.eventType === EventTypes.AuthorizePayment
        ? [
            {
              eventType: EventTypes.PaymentDeclined,
              payload: failure('PAYMENT_DECLINED', 'card declined'),
            },
          ]
        : succeed(c);
    const w = await world(behaviour);
    const coordinator = await start(w.topics, {
      ...w.env,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: platformEndpoints().otlpHttpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SERVICE_NAME: 'saga-coordinator',
    });
    // The order's trace, as order-service would have started it.
    const traceId = randomBytes(16).toString('hex');
    const orderId = `order-${randomUUID()}`;
    await w.place(orderId, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    await waitFor('the order to be cancelled', () => w.terminals(orderId).length > 0, 30_000);

    const wanted = [
      'saga order start',
      'saga order step reserve-inventory',
      'saga order step authorize-payment',
      'saga order PaymentDeclined',
      'saga order compensate reserve-inventory',
      'saga order InventoryReleased',
      'saga order OrderCancelled',
    ];
    let names: string[] = [];
    let spans: { spanID: string; operationName: string; references: { spanID: string }[] }[] = [];
    await waitForAsync(
      'the saga spans in Jaeger',
      async () => {
        const response = await fetch(
          `${platformEndpoints().jaegerQueryUrl}/api/traces/${traceId}`,
        ).catch(() => undefined);
        if (!response?.ok) return false;
        const body = (await response.json()) as { data?: { spans: typeof spans }[] };
        spans = body.data?.[0]?.spans ?? [];
        names = spans.map((s) => s.operationName);
        return wanted.every((n) => names.includes(n));
      },
      30_000,
      500,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; found ${JSON.stringify(names)}`);
    });
    // Sagas by outcome and their duration, on /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${coordinator.port}/metrics`)).text();
    expect(metrics).toMatch(/fanout_sagas_total\{[^}]*outcome="cancelled"[^}]*\} 1/);
    expect(metrics).toMatch(
      /fanout_saga_duration_seconds_count\{[^}]*outcome="cancelled"[^}]*\} 1/,
    );
    const byName = new Map(spans.map((s) => [s.operationName, s]));
    const parentOf = (name: string) => byName.get(name)?.references[0]?.spanID;
    // The parallel steps are children of the step that started them.
    expect(parentOf('saga order step reserve-inventory')).toBe(
      byName.get('saga order start')!.spanID,
    );
    expect(parentOf('saga order step authorize-payment')).toBe(
      byName.get('saga order start')!.spanID,
    );
  });
});
