import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3106, groupId: 'payment-consumer' }),
  // Topics: the catalog's, unless a test isolates itself.
  PAYMENT_COMMANDS_TOPIC: env.topic('fanout.payment.commands'),
  SAGA_REPLIES_TOPIC: env.topic('fanout.saga.replies'),
  /** How long a voided order is remembered, so a late AuthorizePayment holds nothing. */
  COMPENSATION_TOMBSTONE_RETENTION_MS: env.positiveInt(7 * 24 * 3_600_000),
});

export type PaymentConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/**
 * The one place payment-consumer reads the environment: the consumer settings, its topics,
 * and `PAYMENT_API_URL` with `PAYMENT_API_KEY` or `PAYMENT_API_KEY_FILE`.
 */
export function loadPaymentConsumerConfig(
  source: NodeJS.ProcessEnv = process.env,
): PaymentConsumerConfig {
  return loadConsumerConfig(schema, 'PAYMENT', source);
}
