import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { inventoryConsumer } from '@fanout/inventory-consumer/consumer';
import type { InventoryParticipant } from '@fanout/inventory-consumer/consumer';
import { createSandbox } from '@fanout/sandbox-apis/sandbox';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { uniqueName } from '@fanout/test-platform';
import { EventLog, TestProducer, newCodec, newKafka, sleep } from '../saga/saga-fixtures';
import {
  createTopics,
  effectCount,
  effectsOf,
  installTracePropagation,
  newTraceparent,
  repliesOf,
  sandboxAdmin,
  sandboxApiEnv,
  startParticipant,
  traceIdOf,
  withMetadata,
} from './participant-fixtures';
import type { RunningParticipant } from './participant-fixtures';

const Reserve = 'fanout.inventory.ReserveInventory';
const Release = 'fanout.inventory.ReleaseInventory';
const Reserved = 'fanout.inventory.InventoryReserved';
const ReservationFailed = 'fanout.inventory.InventoryReservationFailed';
const Released = 'fanout.inventory.InventoryReleased';

let kafka: Kafka;
let codec: RegistryCodec;
let sandbox: Sandbox;
let participant: RunningParticipant<InventoryParticipant>;
let replies: EventLog;
let producer: TestProducer;
let commandsTopic: string;

beforeAll(async () => {
  installTracePropagation();
  kafka = newKafka('inventory-participant-test');
  codec = newCodec();
  sandbox = await createSandbox({ port: 0 });
  commandsTopic = uniqueName('inventory-commands');
  const repliesTopic = uniqueName('inventory-replies');
  await createTopics(kafka, [commandsTopic, repliesTopic]);
  participant = await startParticipant(inventoryConsumer, {
    ...sandboxApiEnv(sandbox, 'inventory', 'INVENTORY'),
    INVENTORY_COMMANDS_TOPIC: commandsTopic,
    SAGA_REPLIES_TOPIC: repliesTopic,
    // Redeliveries must reach the API here: the Idempotency-Key is what is under test.
    DEDUPE_ENABLED: 'false',
  });
  replies = new EventLog(kafka, codec, [repliesTopic]);
  producer = new TestProducer(kafka, codec);
  await Promise.all([replies.start(), producer.connect()]);
});

afterAll(async () => {
  await participant?.stop();
  await Promise.all([replies?.stop(), producer?.disconnect()]);
  await sandbox?.close();
  await codec?.close();
});

const items = [
  { sku: 'SKU-A', quantity: 2 },
  { sku: 'SKU-B', quantity: 1 },
];

function send(
  eventType: string,
  payload: Record<string, unknown>,
  options: { eventId?: string; correlationId?: string; headers?: Record<string, string> } = {},
) {
  const value = withMetadata(payload, options);
  return producer
    .send(commandsTopic, String(payload.orderId), eventType, value, options.headers)
    .then(() => value.metadata as { eventId: string; correlationId: string });
}

async function stockOf(sku: string): Promise<number | undefined> {
  const response = await fetch(`${sandbox.url}/_admin/inventory/stock`);
  const body = (await response.json()) as { stock: Record<string, number> };
  return body.stock[sku];
}

describe('inventory-consumer on the real broker and the sandbox', () => {
  it('ReserveInventory reserves at the API and replies InventoryReserved, carrying correlation, cause and trace', async () => {
    const orderId = randomUUID();
    const trace = newTraceparent();
    const command = await send(
      Reserve,
      { orderId, items },
      { headers: { traceparent: trace.traceparent } },
    );

    const [reply] = await repliesOf(replies, orderId, 1);
    expect(reply!.eventType).toBe(Reserved);
    expect(reply!.value.reservationId).toMatch(/^res_/);
    const metadata = reply!.value.metadata as Record<string, unknown>;
    expect(metadata.correlationId).toBe(command.correlationId);
    expect(metadata.causationId).toBe(command.eventId);
    expect(metadata.producer).toBe('inventory-consumer');
    expect(traceIdOf(reply!.headers.traceparent)).toBe(trace.traceId);
    expect(effectCount(await effectsOf(sandbox, 'inventory', orderId), 'reserve')).toBe(1);
  });

  it('out of stock replies InventoryReservationFailed with OUT_OF_STOCK and reserves nothing', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('scarce');
    await sandboxAdmin(sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 1 } });
    await send(Reserve, { orderId, items: [{ sku, quantity: 3 }] });

    const [reply] = await repliesOf(replies, orderId, 1);
    expect(reply!.eventType).toBe(ReservationFailed);
    expect(reply!.value.failure).toMatchObject({ code: 'OUT_OF_STOCK', retriable: false });
    expect(String((reply!.value.failure as { message: string }).message)).toContain(sku);
    expect((await effectsOf(sandbox, 'inventory', orderId)).totals.effects).toBe(0);
    expect(await stockOf(sku)).toBe(1);
  });

  it('a command the API refuses (400) replies InventoryReservationFailed with API_ERROR instead of going silent', async () => {
    const orderId = randomUUID();
    await send(Reserve, { orderId, items: [{ sku: 'SKU-A', quantity: 0 }] });

    const [reply] = await repliesOf(replies, orderId, 1);
    expect(reply!.eventType).toBe(ReservationFailed);
    expect(reply!.value.failure).toMatchObject({ code: 'API_ERROR', retriable: false });
    expect(String((reply!.value.failure as { message: string }).message)).toContain('400');
  });

  it('a redelivered ReserveInventory reserves once: the API replays its first answer', async () => {
    const orderId = randomUUID();
    const command = await send(Reserve, { orderId, items });
    // The same event again (a redelivery), then the same command as a new event (a resend).
    await send(Reserve, { orderId, items }, command);
    await send(Reserve, { orderId, items }, { correlationId: command.correlationId });

    const all = await repliesOf(replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Reserved, Reserved, Reserved]);
    expect(new Set(all.map((r) => r.value.reservationId)).size).toBe(1);
    const report = await effectsOf(sandbox, 'inventory', orderId);
    expect(effectCount(report, 'reserve')).toBe(1);
    expect(report.totals.duplicateKeys).toBe(0);
  });

  it('ReleaseInventory twice releases once and replies InventoryReleased each time', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('stocked');
    await sandboxAdmin(sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 5 } });
    await send(Reserve, { orderId, items: [{ sku, quantity: 2 }] });
    const [reserved] = await repliesOf(replies, orderId, 1);
    expect(reserved!.eventType).toBe(Reserved);
    expect(await stockOf(sku)).toBe(3);

    const release = { orderId, reservationId: reserved!.value.reservationId };
    await send(Release, release);
    await send(Release, release);

    const all = await repliesOf(replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Reserved, Released, Released]);
    const report = await effectsOf(sandbox, 'inventory', orderId);
    expect(effectCount(report, 'reserve')).toBe(1);
    expect(effectCount(report, 'release_reservation')).toBe(1);
    expect(await stockOf(sku)).toBe(5);
  });

  it('ReleaseInventory before its reservation succeeds as a no-op, and the late reservation reserves nothing', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('stocked');
    await sandboxAdmin(sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 4 } });
    await send(Release, { orderId, reservationId: null });
    const [released] = await repliesOf(replies, orderId, 1);
    expect(released!.eventType).toBe(Released);

    await send(Reserve, { orderId, items: [{ sku, quantity: 2 }] });
    const all = await repliesOf(replies, orderId, 2);
    expect(all[1]!.eventType).toBe(ReservationFailed);
    expect((all[1]!.value.failure as { retriable: boolean }).retriable).toBe(false);
    // Give a wrongly sent reservation time to land before checking none did.
    await sleep(500);
    expect((await effectsOf(sandbox, 'inventory', orderId)).totals.effects).toBe(0);
    expect(await stockOf(sku)).toBe(4);
  });

  it('a 503 outage is retried by the runtime, and the command then reserves once', async () => {
    const orderId = randomUUID();
    await sandboxAdmin(sandbox, 'PATCH', '/apis/inventory/faults', {
      outage: { durationMs: 2_500, status: 503 },
    });
    await send(Reserve, { orderId, items });

    const [reply] = await repliesOf(replies, orderId, 1, 60_000);
    expect(reply!.eventType).toBe(Reserved);
    expect(effectCount(await effectsOf(sandbox, 'inventory', orderId), 'reserve')).toBe(1);
  });
});
