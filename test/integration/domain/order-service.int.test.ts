import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTypeNames, newMetadata } from '@fanout/contracts';
import type { OrderCancelled, OrderConfirmed, UserContact } from '@fanout/contracts';
import { EventPublisher } from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { countRows } from './support/database-probe';
import { API_KEY, call, fieldsOf } from './support/http-client';
import { ServiceProcess, freePort } from './support/service-process';
import { codec, createTopic, kafka, readTopic, topicConfigValue } from './support/topic-reader';

const endpoints = platformEndpoints();
const topic = uniqueName('it-order-events');
/** The user table topic the customers view reads; the test writes the rows user-service would. */
const contactsTopic = uniqueName('it-order-contacts');
const dataDir = mkdtempSync(join(tmpdir(), 'order-service-'));
const dbFile = join(dataDir, 'order-service.db');
const groupId = uniqueName('it-order-service');
const customerId = '3f0b8c9e-6d0a-4d39-9a55-2b8f0d1e7c44';
let service: ServiceProcess;
const publisher = new EventPublisher({ kafka, codec });

const validOrder = () => ({
  customerId,
  items: [
    { sku: 'SKU-RED-1', quantity: 2, unitPrice: 19.99 },
    { sku: 'SKU-BLUE-2', quantity: 1, unitPrice: 5 },
  ],
  currency: 'EUR',
  shippingAddress: {
    recipientName: 'Ada Lovelace',
    line1: 'Main St 1',
    city: 'Berlin',
    postalCode: '10115',
    country: 'DE',
  },
});

async function registerCustomer(userId: string): Promise<void> {
  const row: UserContact = {
    metadata: newMetadata({ producer: 'user-service' }),
    userId,
    email: `${userId}@example.com`,
    name: 'Ada Lovelace',
    locale: 'en-GB',
    marketingConsent: false,
  };
  await publisher.publish({
    topic: contactsTopic,
    key: userId,
    eventType: EventTypeNames.UserContact,
    value: row,
  });
}

async function readyz(): Promise<{ status: number; body: unknown }> {
  return call(service.baseUrl, 'GET', '/readyz');
}

beforeAll(async () => {
  await createTopic(topic);
  await createTopic(contactsTopic);
  await publisher.connect();
  // Registered before the service starts: the view reads it while catching up.
  await registerCustomer(customerId);
  service = new ServiceProcess('order-service', await freePort(), {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATA_DIR: dataDir,
    API_KEYS: API_KEY,
    ORDER_EVENTS_TOPIC: topic,
    ORDER_CONSUMER_GROUP: groupId,
    USER_CONTACTS_TOPIC: contactsTopic,
    CUSTOMER_WAIT_MS: '3000',
    // info: the outcome consumer logs each outcome it handles, which the stale-event test reads.
    LOG_LEVEL: 'info',
    OUTBOX_POLL_INTERVAL_MS: '200',
  });
  await service.start();
  // Orders are checked against the customers view: wait until it caught up (bounded).
  for (let i = 0; i < 150 && (await readyz()).status !== 200; i++)
    await new Promise((r) => setTimeout(r, 200));
});

afterAll(async () => {
  await service?.stop();
  await publisher.disconnect();
});

async function placeOrder(): Promise<{ id: string; status: string }> {
  const response = await call(service.baseUrl, 'POST', '/orders', { body: validOrder() });
  expect(response.status).toBe(202);
  return response.body as { id: string; status: string };
}

async function statusBecomes(
  id: string,
  expected: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    last = (await call(service.baseUrl, 'GET', `/orders/${id}`)).body as Record<string, unknown>;
    if (last.status === expected) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`order ${id} is ${String(last.status)}, expected ${expected}`);
}

function confirmed(orderId: string): OrderConfirmed {
  return {
    metadata: newMetadata({ producer: 'saga-coordinator' }),
    orderId,
    customerId,
    currency: 'EUR',
    totalMinor: 4498,
    paymentAuthorizationId: 'pay_1',
    shipmentId: 'ship_1',
  };
}

function cancelled(orderId: string): OrderCancelled {
  return {
    metadata: newMetadata({ producer: 'saga-coordinator' }),
    orderId,
    customerId,
    reason: {
      code: 'PAYMENT_DECLINED',
      message: 'The card was declined.',
      failedStep: 'authorize-payment',
    },
    compensatedSteps: ['reserve-inventory'],
  };
}

async function publish(eventType: string, value: OrderConfirmed | OrderCancelled): Promise<void> {
  await publisher.publish({ topic, key: value.orderId, eventType, value });
}

describe('order-service', () => {
  let firstOrderId = '';

  it('places an order with 202 PENDING, exact minor-unit totals, and publishes OrderPlaced once', async () => {
    const order = await placeOrder();
    firstOrderId = order.id;
    expect(order).toMatchObject({ status: 'PENDING', currency: 'EUR', total: 44.98 });
    const fetched = await call(service.baseUrl, 'GET', `/orders/${order.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: order.id, status: 'PENDING' });

    const records = await readTopic(topic, { expected: 1 });
    const placed = records.filter((r) => r.eventType === EventTypeNames.OrderPlaced);
    expect(placed).toHaveLength(1);
    expect(placed[0]?.key).toBe(order.id);
    expect(placed[0]?.value).toMatchObject({
      orderId: order.id,
      customerId,
      currency: 'EUR',
      totalMinor: 4498,
      items: [
        { sku: 'SKU-RED-1', quantity: 2, unitPriceMinor: 1999 },
        { sku: 'SKU-BLUE-2', quantity: 1, unitPriceMinor: 500 },
      ],
      shippingAddress: { recipientName: 'Ada Lovelace', line2: null, region: null, country: 'DE' },
    });
  });

  describe('bad input gets a 4xx problem naming the field, and nothing is written or published', () => {
    const order = validOrder();
    const item = order.items[0]!;
    const cases: { name: string; body: unknown; fields: string[] }[] = [
      {
        name: 'missing fields',
        body: {},
        fields: ['currency', 'customerId', 'items', 'shippingAddress'],
      },
      { name: 'an unknown field', body: { ...order, coupon: 'FREE' }, fields: ['coupon'] },
      {
        name: 'an unknown item field',
        body: { ...order, items: [{ ...item, discount: 1 }] },
        fields: ['items[0].discount'],
      },
      {
        name: 'a zero quantity',
        body: { ...order, items: [{ ...item, quantity: 0 }] },
        fields: ['items[0].quantity'],
      },
      {
        name: 'a negative quantity',
        body: { ...order, items: [item, { ...item, quantity: -3 }] },
        fields: ['items[1].quantity'],
      },
      {
        name: 'a fractional quantity',
        body: { ...order, items: [{ ...item, quantity: 1.5 }] },
        fields: ['items[0].quantity'],
      },
      {
        name: 'a zero price',
        body: { ...order, items: [{ ...item, unitPrice: 0 }] },
        fields: ['items[0].unitPrice'],
      },
      {
        name: 'a negative price',
        body: { ...order, items: [{ ...item, unitPrice: -1 }] },
        fields: ['items[0].unitPrice'],
      },
      {
        name: 'a price finer than the currency allows',
        body: { ...order, items: [{ ...item, unitPrice: 1.005 }] },
        fields: ['items[0].unitPrice'],
      },
      {
        name: 'a price given as a string',
        body: { ...order, items: [{ ...item, unitPrice: '19.99' }] },
        fields: ['items[0].unitPrice'],
      },
      { name: 'an unknown currency', body: { ...order, currency: 'XYZ' }, fields: ['currency'] },
      { name: 'a lower-case currency', body: { ...order, currency: 'eur' }, fields: ['currency'] },
      { name: 'no items', body: { ...order, items: [] }, fields: ['items'] },
      {
        name: 'a customer id that is not a UUID',
        body: { ...order, customerId: 'bob' },
        fields: ['customerId'],
      },
      {
        name: 'a bad country code',
        body: { ...order, shippingAddress: { ...order.shippingAddress, country: 'Germany' } },
        fields: ['shippingAddress.country'],
      },
      {
        name: 'a missing address field',
        body: { ...order, shippingAddress: { ...order.shippingAddress, city: undefined } },
        fields: ['shippingAddress.city'],
      },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name} with 400`, async () => {
        const ordersBefore = countRows(dbFile, 'orders');
        const outboxBefore = countRows(dbFile, 'outbox');
        const response = await call(service.baseUrl, 'POST', '/orders', { body: testCase.body });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(fieldsOf(response)).toEqual(testCase.fields);
        expect(countRows(dbFile, 'orders')).toBe(ordersBefore);
        expect(countRows(dbFile, 'outbox')).toBe(outboxBefore);
      });
    }

    it('rejects a body that is not JSON (400), not application/json (415) and oversize (413)', async () => {
      const ordersBefore = countRows(dbFile, 'orders');
      const notJson = await call(service.baseUrl, 'POST', '/orders', { raw: '{"customerId":' });
      expect(notJson.status).toBe(400);
      expect(fieldsOf(notJson)).toEqual(['(body)']);
      const text = await call(service.baseUrl, 'POST', '/orders', {
        raw: 'order please',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      const big = await call(service.baseUrl, 'POST', '/orders', {
        body: {
          ...order,
          items: Array.from({ length: 100 }, (_, i) => ({
            ...item,
            sku: `SKU-${i}-${'X'.repeat(150)}`,
          })),
        },
      });
      expect(big.status).toBe(413);
      expect(countRows(dbFile, 'orders')).toBe(ordersBefore);
    });

    it('published nothing for any of them', async () => {
      const records = await readTopic(topic, { expected: 1, quietMs: 2_000 });
      expect(
        records.filter((r) => r.eventType === EventTypeNames.OrderPlaced).map((r) => r.key),
      ).toEqual([firstOrderId]);
    });
  });

  describe('saga outcomes', () => {
    it('moves an order to CONFIRMED on OrderConfirmed', async () => {
      const order = await placeOrder();
      await publish(EventTypeNames.OrderConfirmed, confirmed(order.id));
      const after = await statusBecomes(order.id, 'CONFIRMED');
      expect(after.cancellationReason).toBeNull();
    });

    it('moves an order to CANCELLED with the reason on OrderCancelled', async () => {
      const order = await placeOrder();
      await publish(EventTypeNames.OrderCancelled, cancelled(order.id));
      const after = await statusBecomes(order.id, 'CANCELLED');
      expect(after.cancellationReason).toEqual({
        code: 'PAYMENT_DECLINED',
        message: 'The card was declined.',
        failedStep: 'authorize-payment',
      });
    });

    it('ignores a redelivered outcome and a stale one that contradicts the first verdict', async () => {
      const order = await placeOrder();
      const first = confirmed(order.id);
      await publish(EventTypeNames.OrderConfirmed, first);
      await statusBecomes(order.id, 'CONFIRMED');
      const updatedAt = (
        (await call(service.baseUrl, 'GET', `/orders/${order.id}`)).body as { updatedAt: string }
      ).updatedAt;

      await publish(EventTypeNames.OrderConfirmed, first); // the same event again
      await publish(EventTypeNames.OrderCancelled, cancelled(order.id)); // a late contradiction
      // The handler logs each outcome it sees; the contradiction must be seen and ignored as stale.
      // (The repeat carries the first event's eventId, so the runtime's dedupe drops it first.)
      const deadline = Date.now() + 60_000;
      const stale = () =>
        service.logs
          .join('')
          .split('\n')
          .some(
            (line) =>
              line.includes(`"orderId":"${order.id}"`) && line.includes('"result":"ignored-stale"'),
          );
      while (!stale() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(stale()).toBe(true);

      const after = (await call(service.baseUrl, 'GET', `/orders/${order.id}`)).body as Record<
        string,
        unknown
      >;
      expect(after).toMatchObject({ status: 'CONFIRMED', cancellationReason: null, updatedAt });
    });
  });
});

// After the describe above: these orders would add OrderPlaced records to the topic it reads.
describe('order-service customer check (the customers view of the user table topic)', () => {
  it('refuses an order for a customer who never registered with 422 naming customerId, and stores nothing', async () => {
    const ordersBefore = countRows(dbFile, 'orders');
    const response = await call(service.baseUrl, 'POST', '/orders', {
      body: { ...validOrder(), customerId: randomUUID() },
    });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(fieldsOf(response)).toEqual(['customerId']);
    expect(countRows(dbFile, 'orders')).toBe(ordersBefore);
  });

  it('takes an order for a customer whose registration reaches the user table a moment after the request', async () => {
    const newcomer = randomUUID();
    const pending = call(service.baseUrl, 'POST', '/orders', {
      body: { ...validOrder(), customerId: newcomer },
    });
    await new Promise((r) => setTimeout(r, 500));
    await registerCustomer(newcomer);
    const response = await pending;
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ customerId: newcomer, status: 'PENDING' });
  });

  it('becomes ready on a broker without the user table topic, creating it compacted as the catalog says', async () => {
    const missing = uniqueName('it-order-contacts-missing');
    const fresh = new ServiceProcess('order-service', await freePort(), {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'order-service-fresh-')),
      API_KEYS: API_KEY,
      ORDER_EVENTS_TOPIC: topic,
      ORDER_CONSUMER_GROUP: uniqueName('it-order-service-fresh'),
      USER_CONTACTS_TOPIC: missing,
    });
    try {
      await fresh.start();
      let status = 0;
      for (let i = 0; i < 150 && status !== 200; i++) {
        status = (await call(fresh.baseUrl, 'GET', '/readyz')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status, 'ready within 30 s').toBe(200);
      expect(await topicConfigValue(missing, 'cleanup.policy')).toBe('compact');
    } finally {
      await fresh.stop();
    }
  });
});
