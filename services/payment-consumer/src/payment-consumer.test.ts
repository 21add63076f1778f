import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { AuthorizePayment, VoidPayment } from '@fanout/contracts';
import type { PaymentApi } from '@fanout/downstream';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { CompensatedOrders } from './compensated-orders';
import { PaymentKeys, paymentConsumer } from './payment-consumer';
import type { PaymentParticipant } from './payment-consumer';

// The mapping alone, against a stand-in API: the real API and broker are in
// test/integration/participants. Here: the orderings the broker cannot produce on demand.

const authorize = paymentConsumer.handlers['fanout.payment.AuthorizePayment']!;
const voidPayment = paymentConsumer.handlers['fanout.payment.VoidPayment']!;

const metadata = {
  eventId: 'e5a1f0b2-0c1d-4a55-9d1e-6f1f2a3b4c5d',
  occurredAt: new Date(0),
  correlationId: 'corr-1',
  causationId: null,
  producer: 'saga-coordinator',
};
const authorizeCommand: AuthorizePayment = {
  metadata,
  orderId: 'order-1',
  customerId: 'customer-1',
  currency: 'EUR',
  amountMinor: 4_999,
};
const voidCommand: VoidPayment = { metadata, orderId: 'order-1', authorizationId: null };

interface Call {
  operation: string;
  key: string;
}

let dir: string;
let compensated: CompensatedOrders;
let calls: Call[];
let published: Array<{ eventType: string; payload: Record<string, unknown> }>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'payment-consumer-'));
  compensated = new CompensatedOrders({ dataDir: dir, groupId: 'g', retentionMs: 60_000 });
  calls = [];
  published = [];
});

afterEach(() => {
  compensated.close();
  rmSync(dir, { recursive: true, force: true });
});

function contextWith(payment: Partial<PaymentApi>): ConsumerContext<PaymentParticipant> {
  return {
    api: { payment: payment as PaymentApi, compensated },
    publish: async (eventType: string, payload: Record<string, unknown>) => {
      published.push({ eventType, payload });
    },
  } as unknown as ConsumerContext<PaymentParticipant>;
}

const voidOrder = async (_orderId: string, key: string) => {
  calls.push({ operation: 'voidOrder', key });
  return { status: 200, data: { noop: false } } as never;
};

describe('payment-consumer mapping', () => {
  it('a void that runs while the authorization is in flight gets the hold voided, and no PaymentAuthorized', async () => {
    const context = contextWith({
      authorize: async (input, key) => {
        calls.push({ operation: 'authorize', key });
        expect(input.amount).toBe(4_999);
        // The compensation overtakes the call (handled from another topic meanwhile).
        await voidPayment(voidCommand, context);
        return { status: 201, data: { outcome: 'authorized', authorizationId: 'auth_1' } } as never;
      },
      voidOrder,
    });
    await authorize(authorizeCommand, context);

    expect(calls).toEqual([
      { operation: 'authorize', key: PaymentKeys.authorize('order-1') },
      { operation: 'voidOrder', key: PaymentKeys.void('order-1') },
      { operation: 'voidOrder', key: PaymentKeys.voidLate('order-1') },
    ]);
    expect(published.map((p) => p.eventType)).toEqual([
      'fanout.payment.PaymentVoided',
      'fanout.payment.PaymentDeclined',
    ]);
  });

  it('an authorization after its void calls nothing and replies a non-retriable failure', async () => {
    const context = contextWith({ voidOrder });
    await voidPayment(voidCommand, context);
    await authorize(authorizeCommand, context);

    expect(calls.map((c) => c.operation)).toEqual(['voidOrder']);
    expect(published[1]).toMatchObject({
      eventType: 'fanout.payment.PaymentDeclined',
      payload: { orderId: 'order-1', failure: { code: 'INVALID_REQUEST', retriable: false } },
    });
  });

  it('the void tombstone survives a restart of the consumer', async () => {
    await voidPayment(voidCommand, contextWith({ voidOrder }));
    compensated.close();
    compensated = new CompensatedOrders({ dataDir: dir, groupId: 'g', retentionMs: 60_000 });
    expect(compensated.has('order-1')).toBe(true);
  });

  it('the void is recorded even when its API call fails, so the retried void and a late authorization stay safe', async () => {
    const context = contextWith({
      voidOrder: async () => {
        throw new RetriableError('FANOUT_API_SERVER_ERROR', 'payment: voidOrder answered 503');
      },
    });
    await expect(voidPayment(voidCommand, context)).rejects.toThrow('503');
    expect(compensated.has('order-1')).toBe(true);
    expect(published).toEqual([]);
  });

  it('a retriable API error is rethrown for the runtime to retry, with no reply', async () => {
    const context = contextWith({
      authorize: async () => {
        throw new RetriableError('FANOUT_API_TIMEOUT', 'payment: authorize timed out');
      },
    });
    await expect(authorize(authorizeCommand, context)).rejects.toThrow('timed out');
    expect(published).toEqual([]);
  });

  it('a permanent API error on a void is thrown (dead-lettered), since no reply can carry it', async () => {
    const context = contextWith({
      voidOrder: async () => {
        throw new NonRetriableError('FANOUT_API_CLIENT_ERROR', 'payment: voidOrder answered 403');
      },
    });
    await expect(voidPayment(voidCommand, context)).rejects.toThrow('403');
    expect(published).toEqual([]);
  });
});
