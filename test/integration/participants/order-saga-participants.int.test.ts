import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { inventoryConsumer } from '@fanout/inventory-consumer/consumer';
import { paymentConsumer } from '@fanout/payment-consumer/consumer';
import { EventTypes } from '@fanout/saga-coordinator/coordinator';
import { createSandbox } from '@fanout/sandbox-apis/sandbox';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { shippingConsumer } from '@fanout/shipping-consumer/consumer';
import { uniqueName } from '@fanout/test-platform';
import { spawnCoordinator } from '../saga/coordinator-process';
import type { CoordinatorProcess } from '../saga/coordinator-process';
import {
  EventLog,
  TERMINAL_TYPES,
  TestProducer,
  createSagaTopics,
  newCodec,
  newKafka,
  orderPlaced,
  sleep,
  waitFor,
} from '../saga/saga-fixtures';
import type { SagaTopicEnv } from '../saga/saga-fixtures';
import {
  effectCount,
  effectsOf,
  sandboxAdmin,
  sandboxApiEnv,
  startParticipant,
} from './participant-fixtures';
import type { RunningParticipant } from './participant-fixtures';

/**
 * The order saga with nothing played: the real coordinator (a child process, as the local
 * platform runs it), the three real participants, and the sandbox APIs they call.
 */

/** The sandbox declines payments of this customer. */
const DECLINED_CUSTOMER = 'customer-declined';

let kafka: Kafka;
let codec: RegistryCodec;
let sandbox: Sandbox;
let topics: SagaTopicEnv;
let coordinator: CoordinatorProcess;
const participants: Array<RunningParticipant<unknown>> = [];
let orders: EventLog;
let commands: EventLog;
let producer: TestProducer;

beforeAll(async () => {
  kafka = newKafka('order-saga-participants');
  codec = newCodec();
  sandbox = await createSandbox({ port: 0 });
  await sandboxAdmin(sandbox, 'PUT', '/payment/decline-rules', {
    rules: [{ customerId: DECLINED_CUSTOMER, declineCode: 'do_not_honor' }],
  });
  topics = await createSagaTopics(kafka);
  const replies = { SAGA_REPLIES_TOPIC: topics.SAGA_REPLIES_TOPIC };
  participants.push(
    (await startParticipant(inventoryConsumer, {
      ...sandboxApiEnv(sandbox, 'inventory', 'INVENTORY'),
      INVENTORY_COMMANDS_TOPIC: topics.INVENTORY_COMMANDS_TOPIC,
      ...replies,
    })) as RunningParticipant<unknown>,
    (await startParticipant(paymentConsumer, {
      ...sandboxApiEnv(sandbox, 'payment', 'PAYMENT'),
      PAYMENT_COMMANDS_TOPIC: topics.PAYMENT_COMMANDS_TOPIC,
      ...replies,
    })) as RunningParticipant<unknown>,
    (await startParticipant(shippingConsumer, {
      ...sandboxApiEnv(sandbox, 'shipping', 'SHIPPING'),
      SHIPPING_COMMANDS_TOPIC: topics.SHIPPING_COMMANDS_TOPIC,
      ...replies,
    })) as RunningParticipant<unknown>,
  );
  orders = new EventLog(kafka, codec, [topics.ORDER_EVENTS_TOPIC]);
  commands = new EventLog(kafka, codec, [
    topics.INVENTORY_COMMANDS_TOPIC,
    topics.PAYMENT_COMMANDS_TOPIC,
    topics.SHIPPING_COMMANDS_TOPIC,
  ]);
  producer = new TestProducer(kafka, codec);
  await Promise.all([orders.start(), commands.start(), producer.connect()]);
  const group = uniqueName('saga-coordinator');
  coordinator = await spawnCoordinator(topics, {
    SAGA_GROUP_ID: group,
    SAGA_TRANSACTIONAL_ID_PREFIX: group,
    ORDER_STEP_TIMEOUT_MS: '30000',
    ORDER_COMPENSATION_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await coordinator?.kill('SIGTERM');
  await Promise.all(participants.map((participant) => participant.stop()));
  await Promise.all([orders?.stop(), commands?.stop(), producer?.disconnect()]);
  await sandbox?.close();
  await codec?.close();
});

async function place(
  orderId: string,
  customerId = 'customer-1',
  items?: { sku: string; quantity: number; unitPriceMinor: number }[],
): Promise<void> {
  await producer.send(topics.ORDER_EVENTS_TOPIC, orderId, EventTypes.OrderPlaced, {
    ...orderPlaced(items ? { orderId, items } : { orderId }),
    customerId,
  });
}

async function terminalOf(orderId: string) {
  const terminals = () => orders.of(orderId).filter((e) => TERMINAL_TYPES.includes(e.eventType));
  await waitFor(`the terminal event of ${orderId}`, () => terminals().length > 0, 90_000, 100);
  // Quiet period: a second terminal event or a repeated compensation would show up here.
  await sleep(2_000);
  return terminals();
}

describe('order saga with the real participants and sandbox APIs', () => {
  it('a happy order reserves, authorizes and ships once each, and is confirmed', async () => {
    const orderId = randomUUID();
    await place(orderId);

    const terminals = await terminalOf(orderId);
    expect(terminals.map((e) => e.eventType)).toEqual([EventTypes.OrderConfirmed]);
    const confirmed = terminals[0]!.value;
    expect(confirmed.paymentAuthorizationId).toMatch(/^auth_/);
    expect(confirmed.shipmentId).toMatch(/^shp_/);

    expect(effectCount(await effectsOf(sandbox, 'inventory', orderId), 'reserve')).toBe(1);
    expect(effectCount(await effectsOf(sandbox, 'payment', orderId), 'authorize')).toBe(1);
    expect(effectCount(await effectsOf(sandbox, 'shipping', orderId), 'create_shipment')).toBe(1);
    expect(commands.of(orderId).map((e) => e.eventType)).not.toContain(EventTypes.ReleaseInventory);
  });

  it('a declined payment releases the reservation exactly once at the API and cancels the order with PAYMENT_DECLINED', async () => {
    const orderId = randomUUID();
    await place(orderId, DECLINED_CUSTOMER);

    const terminals = await terminalOf(orderId);
    expect(terminals.map((e) => e.eventType)).toEqual([EventTypes.OrderCancelled]);
    const cancelled = terminals[0]!.value as {
      reason: { code: string; failedStep: string | null };
      compensatedSteps: string[];
    };
    expect(cancelled.reason.code).toBe('PAYMENT_DECLINED');
    expect(cancelled.reason.failedStep).toBe('authorize-payment');
    expect(cancelled.compensatedSteps).toEqual(['reserve-inventory']);

    const inventory = await effectsOf(sandbox, 'inventory', orderId);
    expect(effectCount(inventory, 'reserve')).toBe(1);
    expect(effectCount(inventory, 'release_reservation')).toBe(1);
    expect(inventory.totals.duplicateKeys).toBe(0);
    expect((await effectsOf(sandbox, 'payment', orderId)).totals.effects).toBe(0);
    expect((await effectsOf(sandbox, 'shipping', orderId)).totals.effects).toBe(0);
  });

  it('an order out of stock voids the authorization exactly once at the API and is cancelled with OUT_OF_STOCK', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('sold-out');
    await sandboxAdmin(sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 0 } });
    await place(orderId, 'customer-1', [{ sku, quantity: 1, unitPriceMinor: 900 }]);

    const terminals = await terminalOf(orderId);
    expect(terminals.map((e) => e.eventType)).toEqual([EventTypes.OrderCancelled]);
    const cancelled = terminals[0]!.value as {
      reason: { code: string };
      compensatedSteps: string[];
    };
    expect(cancelled.reason.code).toBe('OUT_OF_STOCK');
    expect(cancelled.compensatedSteps).toEqual(['authorize-payment']);

    const payment = await effectsOf(sandbox, 'payment', orderId);
    expect(effectCount(payment, 'authorize')).toBe(1);
    expect(effectCount(payment, 'void')).toBe(1);
    expect((await effectsOf(sandbox, 'inventory', orderId)).totals.effects).toBe(0);
    expect((await effectsOf(sandbox, 'shipping', orderId)).totals.effects).toBe(0);
  });
});
