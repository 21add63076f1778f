import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryConsumer } from '@fanout/inventory-consumer/consumer';
import type { InventoryParticipant } from '@fanout/inventory-consumer/consumer';
import { uniqueName } from '@fanout/test-platform';
import { sleep } from '../saga/saga-fixtures';
import {
  effectCount,
  effectsOf,
  newTraceparent,
  repliesOf,
  sandboxAdmin,
  traceIdOf,
} from './participant-fixtures';
import { startParticipantSuite } from './participant-suite';
import type { ParticipantSuite } from './participant-suite';

const Reserve = 'fanout.inventory.ReserveInventory';
const Release = 'fanout.inventory.ReleaseInventory';
const Reserved = 'fanout.inventory.InventoryReserved';
const ReservationFailed = 'fanout.inventory.InventoryReservationFailed';
const Released = 'fanout.inventory.InventoryReleased';

let suite: ParticipantSuite<InventoryParticipant>;

beforeAll(async () => {
  suite = await startParticipantSuite(inventoryConsumer, { api: 'inventory', prefix: 'INVENTORY' });
});

afterAll(async () => {
  await suite?.stop();
});

const items = [
  { sku: 'SKU-A', quantity: 2 },
  { sku: 'SKU-B', quantity: 1 },
];

const send: ParticipantSuite<unknown>['send'] = (...args) => suite.send(...args);

async function stockOf(sku: string): Promise<number | undefined> {
  const response = await fetch(`${suite.sandbox.url}/_admin/inventory/stock`);
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

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(Reserved);
    expect(reply!.value.reservationId).toMatch(/^res_/);
    const metadata = reply!.value.metadata as Record<string, unknown>;
    expect(metadata.correlationId).toBe(command.correlationId);
    expect(metadata.causationId).toBe(command.eventId);
    expect(metadata.producer).toBe('inventory-consumer');
    expect(traceIdOf(reply!.headers.traceparent)).toBe(trace.traceId);
    expect(effectCount(await effectsOf(suite.sandbox, 'inventory', orderId), 'reserve')).toBe(1);
  });

  it('out of stock replies InventoryReservationFailed with OUT_OF_STOCK and reserves nothing', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('scarce');
    await sandboxAdmin(suite.sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 1 } });
    await send(Reserve, { orderId, items: [{ sku, quantity: 3 }] });

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(ReservationFailed);
    expect(reply!.value.failure).toMatchObject({ code: 'OUT_OF_STOCK', retriable: false });
    expect(String((reply!.value.failure as { message: string }).message)).toContain(sku);
    expect((await effectsOf(suite.sandbox, 'inventory', orderId)).totals.effects).toBe(0);
    expect(await stockOf(sku)).toBe(1);
  });

  it('a command the API refuses (400) replies InventoryReservationFailed with API_ERROR instead of going silent', async () => {
    const orderId = randomUUID();
    await send(Reserve, { orderId, items: [{ sku: 'SKU-A', quantity: 0 }] });

    const [reply] = await repliesOf(suite.replies, orderId, 1);
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

    const all = await repliesOf(suite.replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Reserved, Reserved, Reserved]);
    expect(new Set(all.map((r) => r.value.reservationId)).size).toBe(1);
    const report = await effectsOf(suite.sandbox, 'inventory', orderId);
    expect(effectCount(report, 'reserve')).toBe(1);
    expect(report.totals.duplicateKeys).toBe(0);
  });

  it('ReleaseInventory twice releases once and replies InventoryReleased each time', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('stocked');
    await sandboxAdmin(suite.sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 5 } });
    await send(Reserve, { orderId, items: [{ sku, quantity: 2 }] });
    const [reserved] = await repliesOf(suite.replies, orderId, 1);
    expect(reserved!.eventType).toBe(Reserved);
    expect(await stockOf(sku)).toBe(3);

    const release = { orderId, reservationId: reserved!.value.reservationId };
    await send(Release, release);
    await send(Release, release);

    const all = await repliesOf(suite.replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Reserved, Released, Released]);
    const report = await effectsOf(suite.sandbox, 'inventory', orderId);
    expect(effectCount(report, 'reserve')).toBe(1);
    expect(effectCount(report, 'release_reservation')).toBe(1);
    expect(await stockOf(sku)).toBe(5);
  });

  it('ReleaseInventory before its reservation succeeds as a no-op, and the late reservation reserves nothing', async () => {
    const orderId = randomUUID();
    const sku = uniqueName('stocked');
    await sandboxAdmin(suite.sandbox, 'PATCH', '/inventory/stock', { stock: { [sku]: 4 } });
    await send(Release, { orderId, reservationId: null });
    const [released] = await repliesOf(suite.replies, orderId, 1);
    expect(released!.eventType).toBe(Released);

    await send(Reserve, { orderId, items: [{ sku, quantity: 2 }] });
    const all = await repliesOf(suite.replies, orderId, 2);
    expect(all[1]!.eventType).toBe(ReservationFailed);
    expect((all[1]!.value.failure as { retriable: boolean }).retriable).toBe(false);
    // Give a wrongly sent reservation time to land before checking none did.
    await sleep(500);
    expect((await effectsOf(suite.sandbox, 'inventory', orderId)).totals.effects).toBe(0);
    expect(await stockOf(sku)).toBe(4);
  });

  it('a 503 outage is retried by the runtime, and the command then reserves once', async () => {
    const orderId = randomUUID();
    await sandboxAdmin(suite.sandbox, 'PATCH', '/apis/inventory/faults', {
      outage: { durationMs: 2_500, status: 503 },
    });
    await send(Reserve, { orderId, items });

    const [reply] = await repliesOf(suite.replies, orderId, 1, 60_000);
    expect(reply!.eventType).toBe(Reserved);
    expect(effectCount(await effectsOf(suite.sandbox, 'inventory', orderId), 'reserve')).toBe(1);
  });
});
