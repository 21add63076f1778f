import { describe, expect, it } from 'vitest';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { OrderCancelled, OrderConfirmed, UserRegistered } from '@fanout/contracts';
import { idempotencyKey } from '@fanout/downstream';
import type { CrmApi } from '@fanout/downstream';
import { crmHandlers } from './mapping';

const metadata = (eventId: string) => ({
  eventId,
  occurredAt: new Date('2026-01-01T00:00:00Z'),
  correlationId: 'c',
  causationId: null,
  producer: 'test',
});

/** A CRM stand-in recording each call as [method, id, input, key]. */
function recordingCrm() {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return { status: 200, data: {}, attempts: 1, replayed: false };
    };
  const api = {
    upsertContact: record('upsertContact'),
    upsertDeal: record('upsertDeal'),
  } as unknown as CrmApi;
  return { api, calls };
}

function context(api: CrmApi, eventId: string): ConsumerContext<CrmApi> {
  return {
    api,
    idempotencyKey: (action) => idempotencyKey(eventId, action),
  } as ConsumerContext<CrmApi>;
}

describe('CRM mapping', () => {
  it('upserts the contact by user id with a key derived from the event', async () => {
    const { api, calls } = recordingCrm();
    const user: UserRegistered = {
      metadata: metadata('e-1'),
      userId: 'u-1',
      email: 'ada@example.com',
      name: 'Ada',
      marketingConsent: true,
      locale: 'en-GB',
    };
    await crmHandlers['fanout.user.UserRegistered']!(user, context(api, 'e-1'));
    expect(calls).toEqual([
      [
        'upsertContact',
        'u-1',
        expect.objectContaining({
          email: 'ada@example.com',
          name: 'Ada',
          locale: 'en-GB',
          marketing_consent: true,
        }),
        idempotencyKey('e-1', 'crm.upsertContact'),
      ],
    ]);
  });

  it("sends the locale as the CRM's language-region, and leaves out one that is not a tag", async () => {
    const { api, calls } = recordingCrm();
    const user = (eventId: string, locale: string): UserRegistered => ({
      metadata: metadata(eventId),
      userId: `u-${eventId}`,
      email: 'ada@example.com',
      name: 'Ada',
      marketingConsent: false,
      locale,
    });
    await crmHandlers['fanout.user.UserRegistered']!(
      user('e-4', 'zh-Hant-TW'),
      context(api, 'e-4'),
    );
    await crmHandlers['fanout.user.UserRegistered']!(user('e-5', 'en'), context(api, 'e-5'));
    await crmHandlers['fanout.user.UserRegistered']!(user('e-6', 'not a tag'), context(api, 'e-6'));
    const locales = calls.map((call) => (call[2] as { locale?: string }).locale);
    expect(locales).toEqual(['zh-TW', 'en-US', undefined]);
  });

  it('moves the order deal to won on confirmation and to lost with the reason on cancellation', async () => {
    const { api, calls } = recordingCrm();
    const confirmed: OrderConfirmed = {
      metadata: metadata('e-2'),
      orderId: 'o-1',
      customerId: 'u-1',
      currency: 'EUR',
      totalMinor: 1234,
      paymentAuthorizationId: null,
      shipmentId: null,
    };
    const cancelled: OrderCancelled = {
      metadata: metadata('e-3'),
      orderId: 'o-2',
      customerId: 'u-1',
      reason: { code: 'OUT_OF_STOCK', message: 'Sold out.', failedStep: 'reserve-inventory' },
      compensatedSteps: [],
    };
    await crmHandlers['fanout.order.OrderConfirmed']!(confirmed, context(api, 'e-2'));
    await crmHandlers['fanout.order.OrderCancelled']!(cancelled, context(api, 'e-3'));
    expect(calls[0]).toEqual([
      'upsertDeal',
      'o-1',
      expect.objectContaining({
        stage: 'won',
        amount: 1234,
        currency: 'EUR',
        contact_external_id: 'u-1',
      }),
      idempotencyKey('e-2', 'crm.dealWon'),
    ]);
    expect(calls[1]).toEqual([
      'upsertDeal',
      'o-2',
      expect.objectContaining({ stage: 'lost', reason: 'OUT_OF_STOCK: Sold out.' }),
      idempotencyKey('e-3', 'crm.dealLost'),
    ]);
  });
});
