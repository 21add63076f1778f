import { describe, expect, it } from 'vitest';
import { defaultCatalog } from './default-catalog';
import { newMetadata } from './event-metadata';
import type { OrderPlaced } from './generated/event-types';
import { assertValidPayload } from './payload-validation';

const order = (): OrderPlaced => ({
  metadata: newMetadata({ producer: 'order-service' }),
  orderId: 'o-1',
  customerId: 'c-1',
  items: [{ sku: 'SKU-1', quantity: 2, unitPriceMinor: 1250 }],
  currency: 'EUR',
  totalMinor: 2500,
  shippingAddress: {
    recipientName: 'Ada Lovelace',
    line1: '1 Main St',
    line2: null,
    city: 'Berlin',
    postalCode: '10115',
    region: null,
    country: 'DE',
  },
});

function refusal(value: unknown): { code: string; message: string; details: { fields: string[] } } {
  const type = defaultCatalog().event('fanout.order.OrderPlaced').type;
  try {
    assertValidPayload('fanout.order.OrderPlaced', type, value);
  } catch (error) {
    return error as never;
  }
  throw new Error('payload was accepted');
}

describe('payload validation at encode time', () => {
  it('accepts a payload that matches its schema', () => {
    const type = defaultCatalog().event('fanout.order.OrderPlaced').type;
    expect(() => assertValidPayload('fanout.order.OrderPlaced', type, order())).not.toThrow();
  });

  it('names the nested field of a wrong type', () => {
    const bad = order();
    (bad.items[0] as { quantity: unknown }).quantity = 'two';
    const error = refusal(bad);
    expect(error.code).toBe('FANOUT_PAYLOAD_INVALID');
    expect(error.message).toContain('items.0.quantity: expected a 32-bit integer');
    expect(error.details.fields).toEqual(['items.0.quantity']);
  });

  it('names a missing field', () => {
    const { customerId: _, ...bad } = order();
    expect(refusal(bad).message).toContain('customerId: missing (expected string)');
  });

  it('refuses undeclared fields instead of silently dropping them', () => {
    expect(refusal({ ...order(), discount: 5 }).message).toContain(
      '(root): undeclared field(s) discount',
    );
  });

  it('refuses an eventId that is not a UUID and an unknown currency', () => {
    const bad = order();
    bad.metadata.eventId = 'evt-1';
    bad.currency = 'XYZ';
    const error = refusal(bad);
    expect(error.message).toContain('metadata.eventId: expected a UUID string');
    expect(error.message).toContain('currency: expected an ISO 4217 currency code');
  });

  it('does not echo string values, which may be personal data', () => {
    const bad = order();
    (bad.shippingAddress as { city: unknown }).city = 42;
    bad.shippingAddress.recipientName = 'Ada Lovelace';
    (bad as { customerId: unknown }).customerId = ['Ada Lovelace'];
    expect(refusal(bad).message).not.toContain('Ada');
  });
});
