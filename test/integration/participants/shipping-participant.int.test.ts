import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippingConsumer } from '@fanout/shipping-consumer/consumer';
import type { ShippingParticipant } from '@fanout/shipping-consumer/consumer';
import { sleep } from '../saga/saga-fixtures';
import {
  effectCount,
  effectsOf,
  newTraceparent,
  repliesOf,
  traceIdOf,
} from './participant-fixtures';
import { startParticipantSuite } from './participant-suite';
import type { ParticipantSuite } from './participant-suite';

const Create = 'fanout.shipping.CreateShipment';
const Cancel = 'fanout.shipping.CancelShipment';
const Created = 'fanout.shipping.ShipmentCreated';
const Failed = 'fanout.shipping.ShipmentFailed';
const Cancelled = 'fanout.shipping.ShipmentCancelled';

let suite: ParticipantSuite<ShippingParticipant>;

beforeAll(async () => {
  suite = await startParticipantSuite(shippingConsumer, { api: 'shipping', prefix: 'SHIPPING' });
});

afterAll(async () => {
  await suite?.stop();
});

function create(orderId: string, country = 'GB') {
  return {
    orderId,
    items: [{ sku: 'SKU-A', quantity: 1 }],
    shippingAddress: {
      recipientName: 'Ada Lovelace',
      line1: '1 Analytical Way',
      line2: null,
      city: 'London',
      postalCode: 'N1 1AA',
      region: null,
      country,
    },
  };
}

const send: ParticipantSuite<unknown>['send'] = (...args) => suite.send(...args);

describe('shipping-consumer on the real broker and the sandbox', () => {
  it('CreateShipment books at the API and replies ShipmentCreated, carrying correlation, cause and trace', async () => {
    const orderId = randomUUID();
    const trace = newTraceparent();
    const command = await send(Create, create(orderId), {
      headers: { traceparent: trace.traceparent },
    });

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(Created);
    expect(reply!.value.shipmentId).toMatch(/^shp_/);
    const metadata = reply!.value.metadata as Record<string, unknown>;
    expect(metadata.correlationId).toBe(command.correlationId);
    expect(metadata.causationId).toBe(command.eventId);
    expect(metadata.producer).toBe('shipping-consumer');
    expect(traceIdOf(reply!.headers.traceparent)).toBe(trace.traceId);
    expect((await effectsOf(suite.sandbox, 'shipping', orderId)).totals.effects).toBe(1);
  });

  it('an address the API refuses (400) replies ShipmentFailed with API_ERROR instead of going silent', async () => {
    const orderId = randomUUID();
    await send(Create, create(orderId, 'united kingdom'));

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(Failed);
    expect(reply!.value.failure).toMatchObject({ code: 'API_ERROR', retriable: false });
    expect((await effectsOf(suite.sandbox, 'shipping', orderId)).totals.effects).toBe(0);
  });

  it('a redelivered CreateShipment books once: the API replays its first answer', async () => {
    const orderId = randomUUID();
    const command = await send(Create, create(orderId));
    await send(Create, create(orderId), command);
    await send(Create, create(orderId), { correlationId: command.correlationId });

    const all = await repliesOf(suite.replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Created, Created, Created]);
    expect(new Set(all.map((r) => r.value.shipmentId)).size).toBe(1);
    const report = await effectsOf(suite.sandbox, 'shipping', orderId);
    expect(report.totals.effects).toBe(1);
    expect(report.totals.duplicateKeys).toBe(0);
  });

  it('CancelShipment twice cancels once and replies ShipmentCancelled each time', async () => {
    const orderId = randomUUID();
    await send(Create, create(orderId));
    const [created] = await repliesOf(suite.replies, orderId, 1);
    expect(created!.eventType).toBe(Created);

    const cancel = { orderId, shipmentId: created!.value.shipmentId };
    await send(Cancel, cancel);
    await send(Cancel, cancel);

    const all = await repliesOf(suite.replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Created, Cancelled, Cancelled]);
    const report = await effectsOf(suite.sandbox, 'shipping', orderId);
    expect(effectCount(report, 'create_shipment')).toBe(1);
    expect(effectCount(report, 'cancel_shipment')).toBe(1);
  });

  it('CancelShipment before its booking succeeds as a no-op, and the late booking books nothing', async () => {
    const orderId = randomUUID();
    await send(Cancel, { orderId, shipmentId: null });
    const [cancelled] = await repliesOf(suite.replies, orderId, 1);
    expect(cancelled!.eventType).toBe(Cancelled);

    await send(Create, create(orderId));
    const all = await repliesOf(suite.replies, orderId, 2);
    expect(all[1]!.eventType).toBe(Failed);
    await sleep(500);
    expect((await effectsOf(suite.sandbox, 'shipping', orderId)).totals.effects).toBe(0);
  });
});
