import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { EventTypes, Header } from '@fanout/saga-coordinator/coordinator';
import {
  EventLog,
  Participants,
  TERMINAL_TYPES,
  TestProducer,
  createSagaTopics,
  failure,
  headersOf,
  newCodec,
  newKafka,
  orderPlaced,
  sleep,
  startCoordinator,
  succeed,
  waitFor,
} from './saga-fixtures';
import type { Behaviour, InProcessCoordinator, ReceivedEvent, SagaTopicEnv } from './saga-fixtures';

const SHIPPING_TIMEOUT_MS = 2_000;

let kafka: Kafka;
let codec: RegistryCodec;
let topics: SagaTopicEnv;
let coordinator: InProcessCoordinator;
let participants: Participants;
let orders: EventLog;
let deadLetters: EventLog;
let producer: TestProducer;
/** Per-order participant behaviour; orders not listed succeed at every step. */
const behaviours = new Map<string, Behaviour>();

beforeAll(async () => {
  kafka = newKafka();
  codec = newCodec();
  topics = await createSagaTopics(kafka);
  participants = new Participants(kafka, codec, topics, (command) =>
    (behaviours.get(String(command.value.orderId)) ?? succeed)(command),
  );
  orders = new EventLog(kafka, codec, [topics.ORDER_EVENTS_TOPIC]);
  deadLetters = new EventLog(kafka, codec, [topics.SAGA_DEAD_LETTER_TOPIC], undefined, false);
  producer = new TestProducer(kafka, codec);
  await Promise.all([
    participants.start(),
    orders.start(),
    deadLetters.start(),
    producer.connect(),
  ]);
  coordinator = await startCoordinator(kafka, topics, { createShipmentMs: SHIPPING_TIMEOUT_MS });
});

afterAll(async () => {
  await coordinator?.stop();
  await Promise.all([
    participants?.stop(),
    orders?.stop(),
    deadLetters?.stop(),
    producer?.disconnect(),
  ]);
  await codec?.close();
});

async function placeOrder(orderId: string, items?: Parameters<typeof orderPlaced>[0]['items']) {
  const event = orderPlaced({ orderId, items });
  await producer.send(topics.ORDER_EVENTS_TOPIC, orderId, EventTypes.OrderPlaced, event);
  return event;
}

const terminals = (orderId: string) =>
  orders.of(orderId).filter((e) => TERMINAL_TYPES.includes(e.eventType));
const commandsOf = (orderId: string, eventType?: string) =>
  participants.commands.of(orderId, eventType);
const deadLettersOf = (orderId: string) =>
  deadLetters.raw
    .filter((r) => r.message.key?.toString() === orderId)
    .map((r) => headersOf(r.message.headers));

async function waitForOutcome(orderId: string, timeoutMs = 30_000): Promise<ReceivedEvent> {
  await waitFor(`a terminal event for ${orderId}`, () => terminals(orderId).length > 0, timeoutMs);
  // Anything more would arrive right behind the first; give it the chance to.
  await sleep(750);
  expect(terminals(orderId)).toHaveLength(1);
  return terminals(orderId)[0]!;
}

const COMPENSATION_OF: Record<string, string> = {
  'reserve-inventory': EventTypes.ReleaseInventory,
  'authorize-payment': EventTypes.VoidPayment,
  'create-shipment': EventTypes.CancelShipment,
};

describe('order saga on the real broker', () => {
  it('confirms a placed order exactly once, reserving stock and authorizing payment in parallel before shipping', async () => {
    const orderId = `order-${randomUUID()}`;
    const placed = await placeOrder(orderId);
    const outcome = await waitForOutcome(orderId);

    expect(outcome.eventType).toBe(EventTypes.OrderConfirmed);
    expect(outcome.value).toMatchObject({
      orderId,
      paymentAuthorizationId: `auth-${orderId}`,
      shipmentId: `ship-${orderId}`,
    });
    const [reserve] = commandsOf(orderId, EventTypes.ReserveInventory);
    const [authorize] = commandsOf(orderId, EventTypes.AuthorizePayment);
    const [ship] = commandsOf(orderId, EventTypes.CreateShipment);
    expect(commandsOf(orderId)).toHaveLength(3);
    // Both first-stage commands come from the OrderPlaced transition itself (one transaction),
    // not one after the other's reply: that is the parallel fan-out.
    const meta = (e: ReceivedEvent) =>
      e.value.metadata as { causationId: string; occurredAt: Date; correlationId: string };
    const placedId = (placed.metadata as { eventId: string }).eventId;
    expect(meta(reserve!).causationId).toBe(placedId);
    expect(meta(authorize!).causationId).toBe(placedId);
    expect(meta(ship!).causationId).not.toBe(placedId);
    expect(meta(ship!).occurredAt.getTime()).toBeGreaterThanOrEqual(
      meta(authorize!).occurredAt.getTime(),
    );
    // Every event of the saga carries the order's correlation id.
    const correlationId = (placed.metadata as { correlationId: string }).correlationId;
    for (const e of [reserve!, authorize!, ship!, outcome])
      expect(meta(e).correlationId).toBe(correlationId);
    expect(deadLettersOf(orderId)).toEqual([]);
  });

  const failures = [
    {
      step: 'reserve-inventory',
      reply: {
        eventType: EventTypes.InventoryReservationFailed,
        payload: failure('OUT_OF_STOCK', 'SKU-1 is out of stock'),
      },
      command: EventTypes.ReserveInventory,
      reason: 'OUT_OF_STOCK',
      completed: ['authorize-payment'],
    },
    {
      step: 'authorize-payment',
      reply: {
        eventType: EventTypes.PaymentDeclined,
        payload: failure('PAYMENT_DECLINED', 'card declined'),
      },
      command: EventTypes.AuthorizePayment,
      reason: 'PAYMENT_DECLINED',
      completed: ['reserve-inventory'],
    },
    {
      step: 'create-shipment',
      reply: {
        eventType: EventTypes.ShipmentFailed,
        payload: failure('SHIPPING_UNAVAILABLE', 'no carrier serves N1'),
      },
      command: EventTypes.CreateShipment,
      reason: 'SHIPPING_UNAVAILABLE',
      completed: ['reserve-inventory', 'authorize-payment'],
    },
  ] as const;

  it.each(failures)(
    'a failure at $step compensates every completed step exactly once and cancels with $reason',
    async ({ step, reply, command, reason, completed }) => {
      const orderId = `order-${randomUUID()}`;
      behaviours.set(orderId, (c) => (c.eventType === command ? [reply] : succeed(c)));
      await placeOrder(orderId);
      const outcome = await waitForOutcome(orderId);

      expect(outcome.eventType).toBe(EventTypes.OrderCancelled);
      expect(outcome.value.reason).toMatchObject({ code: reason, failedStep: step });
      expect([...(outcome.value.compensatedSteps as string[])].sort()).toEqual(
        [...completed].sort(),
      );
      for (const [name, compensation] of Object.entries(COMPENSATION_OF)) {
        const expected = (completed as readonly string[]).includes(name) ? 1 : 0;
        expect(commandsOf(orderId, compensation), `${compensation} for ${name}`).toHaveLength(
          expected,
        );
      }
      // Nothing runs after the failing stage.
      if (step !== 'create-shipment')
        expect(commandsOf(orderId, EventTypes.CreateShipment)).toHaveLength(0);
    },
  );

  it('compensates the steps in reverse order of their success', async () => {
    const orderId = `order-${randomUUID()}`;
    // Inventory answers last, so it is undone first.
    behaviours.set(orderId, (c) => {
      if (c.eventType === EventTypes.ReserveInventory)
        return (succeed(c) ?? []).map((r) => ({ ...r, delayMs: 300 }));
      if (c.eventType === EventTypes.CreateShipment)
        return [
          { eventType: EventTypes.ShipmentFailed, payload: failure('SHIPPING_UNAVAILABLE', 'x') },
        ];
      return succeed(c);
    });
    await placeOrder(orderId);
    const outcome = await waitForOutcome(orderId);
    // The two compensations go to different topics, so their arrival order says nothing; the
    // saga records the order it undid them in.
    const compensations = commandsOf(orderId).filter((e) =>
      [EventTypes.ReleaseInventory, EventTypes.VoidPayment].includes(e.eventType as never),
    );
    expect(compensations).toHaveLength(2);
    expect(outcome.value.compensatedSteps).toEqual(['reserve-inventory', 'authorize-payment']);
  });

  it('cancels an order with no items at once, with INVALID_ORDER, and runs no step', async () => {
    const orderId = `order-${randomUUID()}`;
    await placeOrder(orderId, []);
    const outcome = await waitForOutcome(orderId);
    expect(outcome.eventType).toBe(EventTypes.OrderCancelled);
    expect(outcome.value.reason).toMatchObject({
      code: 'INVALID_ORDER',
      message: 'the order has no items',
    });
    expect(commandsOf(orderId)).toHaveLength(0);
  });

  it('a step that gets no reply times out and the saga compensates, the timed-out step included', async () => {
    const orderId = `order-${randomUUID()}`;
    behaviours.set(orderId, (c) =>
      c.eventType === EventTypes.CreateShipment ? undefined : succeed(c),
    );
    await placeOrder(orderId);
    const outcome = await waitForOutcome(orderId, SHIPPING_TIMEOUT_MS + 20_000);
    expect(outcome.eventType).toBe(EventTypes.OrderCancelled);
    expect(outcome.value.reason).toMatchObject({
      code: 'STEP_TIMED_OUT',
      failedStep: 'create-shipment',
    });
    // Its outcome is unknown, so the shipment is cancelled too, and first; the two parallel
    // steps follow in reverse order of their (here racing) success.
    const [first, ...rest] = outcome.value.compensatedSteps as string[];
    expect(first).toBe('create-shipment');
    expect(rest.sort()).toEqual(['authorize-payment', 'reserve-inventory']);
    for (const compensation of Object.values(COMPENSATION_OF))
      expect(commandsOf(orderId, compensation)).toHaveLength(1);
  });

  it('duplicate and late replies, and a redelivered OrderPlaced, never produce a second outcome', async () => {
    const orderId = `order-${randomUUID()}`;
    // Every participant answers twice, as after a redelivery.
    behaviours.set(orderId, (c) => {
      const replies = succeed(c) ?? [];
      return [...replies, ...replies.map((r) => ({ ...r, delayMs: 20 }))];
    });
    const placed = await placeOrder(orderId);
    const outcome = await waitForOutcome(orderId);
    expect(outcome.eventType).toBe(EventTypes.OrderConfirmed);

    // After the end: the same OrderPlaced again, a late decline, and repeated successes.
    await producer.send(topics.ORDER_EVENTS_TOPIC, orderId, EventTypes.OrderPlaced, placed);
    await participants.reply(
      orderId,
      EventTypes.PaymentDeclined,
      failure('PAYMENT_DECLINED', 'late'),
    );
    await participants.reply(orderId, EventTypes.ShipmentCreated, { shipmentId: 'other' });
    await participants.reply(orderId, EventTypes.InventoryReserved, { reservationId: 'other' });
    await sleep(1_500);

    expect(terminals(orderId)).toHaveLength(1);
    expect(commandsOf(orderId)).toHaveLength(3);
    // Duplicates and late replies are harmless, not errors: nothing is dead-lettered.
    expect(deadLettersOf(orderId)).toEqual([]);
  });

  it('a reply for an unknown saga goes to the dead-letter topic with the reason and starts nothing', async () => {
    const orderId = `order-${randomUUID()}`;
    await participants.reply(orderId, EventTypes.PaymentAuthorized, { authorizationId: 'auth-x' });
    await waitFor('the dead letter', () => deadLettersOf(orderId).length === 1, 15_000);
    const [headers] = deadLettersOf(orderId);
    expect(headers).toMatchObject({
      [Header.errorCode]: 'SAGA_UNKNOWN_SAGA',
      [Header.originalTopic]: topics.SAGA_REPLIES_TOPIC,
      [Header.sagaId]: orderId,
    });
    expect(headers![Header.originalOffset]).toMatch(/^\d+$/);
    expect(headers![Header.originalPartition]).toMatch(/^\d+$/);
    expect(headers![Header.deadLetterReason]).toContain('never started');
    await sleep(500);
    expect(commandsOf(orderId)).toHaveLength(0);
    expect(terminals(orderId)).toHaveLength(0);
  });

  it('a reply of the wrong type for the saga step is dead-lettered and the saga carries on unchanged', async () => {
    const orderId = `order-${randomUUID()}`;
    let injected = false;
    behaviours.set(orderId, (c) => {
      if (c.eventType === EventTypes.AuthorizePayment && !injected) {
        injected = true;
        // A shipment "created" while the saga has not asked for one yet.
        void participants.reply(orderId, EventTypes.ShipmentCreated, { shipmentId: 'bogus' });
        return (succeed(c) ?? []).map((r) => ({ ...r, delayMs: 1_000 }));
      }
      return succeed(c);
    });
    await placeOrder(orderId);
    const outcome = await waitForOutcome(orderId);
    expect(outcome.eventType).toBe(EventTypes.OrderConfirmed);
    // The real shipment, not the stray one.
    expect(outcome.value.shipmentId).toBe(`ship-${orderId}`);
    expect(commandsOf(orderId, EventTypes.CreateShipment)).toHaveLength(1);
    const letters = deadLettersOf(orderId);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      [Header.errorCode]: 'SAGA_REPLY_REJECTED',
      [Header.sagaId]: orderId,
    });
    expect(letters[0]![Header.deadLetterReason]).toContain('not started');
  });

  it('malformed bytes and non-reply events on the replies topic are dead-lettered and the partition keeps flowing', async () => {
    const orderId = `order-${randomUUID()}`;
    await participants.sendRaw(orderId, Buffer.from('{"not":"avro"}'));
    await producer.send(
      topics.SAGA_REPLIES_TOPIC,
      orderId,
      EventTypes.OrderPlaced,
      orderPlaced({ orderId }),
    );
    await waitFor('two dead letters', () => deadLettersOf(orderId).length === 2, 15_000);
    expect(deadLettersOf(orderId).map((h) => h[Header.errorCode])).toEqual([
      'SAGA_UNDECODABLE',
      'SAGA_UNEXPECTED_EVENT',
    ]);
    // Same key, so same partition: a saga placed behind them still completes.
    await placeOrder(orderId);
    expect((await waitForOutcome(orderId)).eventType).toBe(EventTypes.OrderConfirmed);
  });
});
