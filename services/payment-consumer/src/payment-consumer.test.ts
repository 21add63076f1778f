import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COORDINATOR_COMMAND_METADATA as metadata,
  ParticipantTestHarness,
} from '@fanout/consumer-kit/testing';
import type { AuthorizePayment, VoidPayment } from '@fanout/contracts';
import type { PaymentApi } from '@fanout/downstream';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { PaymentKeys, paymentConsumer } from './payment-consumer';
import type { PaymentParticipant } from './payment-consumer';

// The mapping alone, against a stand-in API: the real API and broker are in
// test/integration/participants. Here: the orderings the broker cannot produce on demand.

const authorize = paymentConsumer.handlers['fanout.payment.AuthorizePayment']!;
const voidPayment = paymentConsumer.handlers['fanout.payment.VoidPayment']!;

const authorizeCommand: AuthorizePayment = {
  metadata,
  orderId: 'order-1',
  customerId: 'customer-1',
  currency: 'EUR',
  amountMinor: 4_999,
};
const voidCommand: VoidPayment = { metadata, orderId: 'order-1', authorizationId: null };

let harness: ParticipantTestHarness;

beforeEach(() => {
  harness = new ParticipantTestHarness('payment-consumer');
});

afterEach(() => harness.close());

const contextWith = (payment: Partial<PaymentApi>) =>
  harness.context<PaymentParticipant>({ payment: payment as PaymentApi });

const voidOrder = (orderId: string, key: string) =>
  harness.compensationCall('voidOrder')(orderId, key);

describe('payment-consumer mapping', () => {
  it('a void that runs while the authorization is in flight gets the hold voided, and no PaymentAuthorized', async () => {
    const context = contextWith({
      authorize: async (input, key) => {
        harness.calls.push({ operation: 'authorize', key });
        expect(input.amount).toBe(4_999);
        // The compensation overtakes the call (handled from another topic meanwhile).
        await voidPayment(voidCommand, context);
        return { status: 201, data: { outcome: 'authorized', authorizationId: 'auth_1' } } as never;
      },
      voidOrder,
    });
    await authorize(authorizeCommand, context);

    expect(harness.calls).toEqual([
      { operation: 'authorize', key: PaymentKeys.authorize('order-1') },
      { operation: 'voidOrder', key: PaymentKeys.void('order-1') },
      { operation: 'voidOrder', key: PaymentKeys.voidLate('order-1') },
    ]);
    expect(harness.published.map((p) => p.eventType)).toEqual([
      'fanout.payment.PaymentVoided',
      'fanout.payment.PaymentDeclined',
    ]);
  });

  it('an authorization after its void calls nothing and replies a non-retriable failure', async () => {
    const context = contextWith({ voidOrder });
    await voidPayment(voidCommand, context);
    await authorize(authorizeCommand, context);

    expect(harness.calls.map((c) => c.operation)).toEqual(['voidOrder']);
    expect(harness.published[1]).toMatchObject({
      eventType: 'fanout.payment.PaymentDeclined',
      payload: { orderId: 'order-1', failure: { code: 'INVALID_REQUEST', retriable: false } },
    });
  });

  it('the void tombstone survives a restart of the consumer', async () => {
    await voidPayment(voidCommand, contextWith({ voidOrder }));
    expect(harness.restart().has('order-1')).toBe(true);
  });

  it('the void is recorded even when its API call fails, so the retried void and a late authorization stay safe', async () => {
    const context = contextWith({
      voidOrder: async () => {
        throw new RetriableError('FANOUT_API_SERVER_ERROR', 'payment: voidOrder answered 503');
      },
    });
    await expect(voidPayment(voidCommand, context)).rejects.toThrow('503');
    expect(harness.tombstones.has('order-1')).toBe(true);
    expect(harness.published).toEqual([]);
  });

  it('a retriable API error is rethrown for the runtime to retry, with no reply', async () => {
    const context = contextWith({
      authorize: async () => {
        throw new RetriableError('FANOUT_API_TIMEOUT', 'payment: authorize timed out');
      },
    });
    await expect(authorize(authorizeCommand, context)).rejects.toThrow('timed out');
    expect(harness.published).toEqual([]);
  });

  it('a permanent API error on a void is thrown (dead-lettered), since no reply can carry it', async () => {
    const context = contextWith({
      voidOrder: async () => {
        throw new NonRetriableError('FANOUT_API_CLIENT_ERROR', 'payment: voidOrder answered 403');
      },
    });
    await expect(voidPayment(voidCommand, context)).rejects.toThrow('403');
    expect(harness.published).toEqual([]);
  });
});
