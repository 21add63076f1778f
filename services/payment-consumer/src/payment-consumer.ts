import { CompensationTombstones, defineConsumer, permanentApiFailure } from '@fanout/consumer-kit';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { AuthorizePayment, StepFailure, VoidPayment } from '@fanout/contracts';
import { PaymentApi, idempotencyKey } from '@fanout/downstream';
import { loadPaymentConsumerConfig } from './config';

export interface PaymentParticipant {
  payment: PaymentApi;
  compensated: CompensationTombstones;
}

type Context = ConsumerContext<PaymentParticipant>;

/**
 * Idempotency-Keys derive from the order id (the saga id), not the command's eventId: the
 * coordinator resends a compensation as a new event, and one saga authorizes and voids once,
 * so a redelivered or resent command replays the API's first answer instead of acting again.
 */
export const PaymentKeys = {
  authorize: (orderId: string) => idempotencyKey(orderId, 'payment.authorize'),
  void: (orderId: string) => idempotencyKey(orderId, 'payment.void'),
  /** Voiding an authorization that landed after the order was voided. */
  voidLate: (orderId: string) => idempotencyKey(orderId, 'payment.void-late-authorization'),
} as const;

const voidedFirst = (orderId: string): StepFailure => ({
  code: 'INVALID_REQUEST',
  message: `order ${orderId} was voided before its authorization: nothing is held`,
  retriable: false,
});

async function decline(context: Context, orderId: string, failure: StepFailure): Promise<void> {
  await context.publish('fanout.payment.PaymentDeclined', { orderId, failure });
}

/** AuthorizePayment → PaymentAuthorized, or PaymentDeclined with the reason. */
async function authorizePayment(command: AuthorizePayment, context: Context): Promise<void> {
  const { payment, compensated } = context.api;
  const { orderId } = command;
  if (compensated.has(orderId)) return decline(context, orderId, voidedFirst(orderId));

  let outcome;
  try {
    const result = await payment.authorize(
      {
        order_id: orderId,
        customer_id: command.customerId,
        amount: Number(command.amountMinor),
        currency: command.currency,
      },
      PaymentKeys.authorize(orderId),
    );
    outcome = result.data;
  } catch (error) {
    const failure = permanentApiFailure(error);
    if (!failure) throw error;
    return decline(context, orderId, failure);
  }

  if (outcome.outcome === 'declined') {
    return decline(context, orderId, {
      code: 'PAYMENT_DECLINED',
      message: `the payment was declined: ${outcome.declineCode}`,
      retriable: false,
    });
  }
  // The void ran while this authorization was in flight: release the hold, report none.
  if (compensated.has(orderId)) {
    await payment.voidOrder(orderId, PaymentKeys.voidLate(orderId));
    return decline(context, orderId, voidedFirst(orderId));
  }
  await context.publish('fanout.payment.PaymentAuthorized', {
    orderId,
    authorizationId: outcome.authorizationId,
  });
}

/**
 * VoidPayment → PaymentVoided. Voids every authorization of the order (the saga may not know
 * the id when it compensates an authorization whose reply it never got). Safe before, after or
 * without the authorization: the tombstone comes first, so an authorization arriving later
 * holds nothing; voiding nothing is a success. A permanent API error has no reply to carry it:
 * it is thrown and dead-lettered.
 */
async function voidPayment(command: VoidPayment, context: Context): Promise<void> {
  const { payment, compensated } = context.api;
  compensated.record(command.orderId);
  await payment.voidOrder(command.orderId, PaymentKeys.void(command.orderId));
  await context.publish('fanout.payment.PaymentVoided', { orderId: command.orderId });
}

/** payment-consumer: the order saga's payment participant. */
export const paymentConsumer = defineConsumer({
  name: 'payment-consumer',
  api: 'payment',
  loadConfig: loadPaymentConsumerConfig,
  topics: (config) => [config.PAYMENT_COMMANDS_TOPIC],
  publishes: (config) => ({
    'fanout.payment.PaymentAuthorized': config.SAGA_REPLIES_TOPIC,
    'fanout.payment.PaymentDeclined': config.SAGA_REPLIES_TOPIC,
    'fanout.payment.PaymentVoided': config.SAGA_REPLIES_TOPIC,
  }),
  createApi: (client, { config, onClose }): PaymentParticipant => {
    const compensated = new CompensationTombstones({
      dataDir: config.DATA_DIR,
      groupId: config.CONSUMER_GROUP_ID,
      retentionMs: config.COMPENSATION_TOMBSTONE_RETENTION_MS,
    });
    onClose(() => compensated.close());
    return { payment: new PaymentApi(client), compensated };
  },
  handlers: {
    'fanout.payment.AuthorizePayment': authorizePayment,
    'fanout.payment.VoidPayment': voidPayment,
  },
});
