import { describe, expect, it } from 'vitest';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { OrderConfirmed } from '@fanout/contracts';
import { idempotencyKey } from '@fanout/downstream';
import type { EmailApi } from '@fanout/downstream';
import type { EmailPorts } from './mapping';
import { emailHandlers } from './mapping';
import type { Recipient, RecipientDirectory } from './recipient-directory';

function ports() {
  const sent: unknown[][] = [];
  const known = new Map<string, Recipient>();
  const email = {
    sendMessage: async (...args: unknown[]) => {
      sent.push(args);
      return { status: 202, data: {}, attempts: 1, replayed: false };
    },
  } as unknown as EmailApi;
  const recipients = {
    remember: (id: string, r: Recipient) => known.set(id, r),
    find: (id: string) => known.get(id),
  } as unknown as RecipientDirectory;
  return { api: { email, recipients }, sent };
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
  it('an order of a customer not registered yet is a retriable error, and sends nothing', async () => {
    const { api, sent } = ports();
    await expect(
      emailHandlers['fanout.order.OrderConfirmed']!(order, context(api, 'e-2')),
    ).rejects.toMatchObject({
      code: 'FANOUT_RECIPIENT_UNKNOWN',
      retriable: true,
    });
    expect(sent).toHaveLength(0);
  });

  it('sends the confirmation to the address the customer registered with', async () => {
    const { api, sent } = ports();
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
    await emailHandlers['fanout.order.OrderConfirmed']!(order, context(api, 'e-2'));
    expect(sent[1]).toEqual([
      expect.objectContaining({
        to: 'ada@example.com',
        template: 'order-confirmation',
        reference: 'o-1',
      }),
      idempotencyKey('e-2', 'email.orderConfirmation'),
    ]);
  });
});
