import { describe, expect, it } from 'vitest';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { OrderConfirmed } from '@fanout/contracts';
import { idempotencyKey } from '@fanout/downstream';
import type { EmailApi } from '@fanout/downstream';
import type { EmailPorts } from './mapping';
import { emailHandlers } from './mapping';
import type { Recipient, RecipientLookup } from './recipients-view';

function ports() {
  const sent: unknown[][] = [];
  const known = new Map<string, Recipient>();
  const waits: number[] = [];
  const email = {
    sendMessage: async (...args: unknown[]) => {
      sent.push(args);
      return { status: 202, data: {}, attempts: 1, replayed: false };
    },
  } as unknown as EmailApi;
  const recipients: RecipientLookup = {
    lookup: async (id, waitMs) => {
      waits.push(waitMs);
      return known.get(id);
    },
  };
  return { api: { email, recipients, recipientWaitMs: 1_500 }, sent, known, waits };
}

const context = (api: EmailPorts, eventId: string) =>
  ({
    api,
    idempotencyKey: (action: string) => idempotencyKey(eventId, action),
  }) as ConsumerContext<EmailPorts>;

const order: OrderConfirmed = {
  metadata: {
    eventId: 'e-2',
    occurredAt: new Date(),
    correlationId: 'c',
    causationId: null,
    producer: 't',
  },
  orderId: 'o-1',
  customerId: 'u-1',
  currency: 'EUR',
  totalMinor: 500,
  paymentAuthorizationId: null,
  shipmentId: null,
};

describe('email mapping', () => {
  it('an order of a customer the view does not know after the wait is a retriable error, and sends nothing', async () => {
    const { api, sent, waits } = ports();
    await expect(
      emailHandlers['fanout.order.OrderConfirmed']!(order, context(api, 'e-2')),
    ).rejects.toMatchObject({
      code: 'FANOUT_RECIPIENT_UNKNOWN',
      retriable: true,
    });
    expect(sent).toHaveLength(0);
    expect(waits).toEqual([1_500]);
  });

  it('sends the confirmation to the address the view holds for the customer', async () => {
    const { api, sent, known } = ports();
    known.set('u-1', { email: 'ada@example.com', name: 'Ada', locale: 'en-GB' });
    await emailHandlers['fanout.order.OrderConfirmed']!(order, context(api, 'e-2'));
    expect(sent[0]).toEqual([
      expect.objectContaining({
        to: 'ada@example.com',
        template: 'order-confirmation',
        reference: 'o-1',
        variables: expect.objectContaining({ name: 'Ada' }),
      }),
      idempotencyKey('e-2', 'email.orderConfirmation'),
    ]);
  });

  it('welcomes a new user at the address of the event, without the view', async () => {
    const { api, sent, waits } = ports();
    await emailHandlers['fanout.user.UserRegistered']!(
      {
        metadata: { ...order.metadata, eventId: 'e-1' },
        userId: 'u-1',
        email: 'ada@example.com',
        name: 'Ada',
        marketingConsent: false,
        locale: 'en-GB',
      },
      context(api, 'e-1'),
    );
    expect(sent[0]?.[0]).toMatchObject({ to: 'ada@example.com', template: 'welcome' });
    expect(waits).toEqual([]);
  });
});
