import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3107, groupId: 'shipping-consumer' }),
  // Topics: the catalog's, unless a test isolates itself.
  SHIPPING_COMMANDS_TOPIC: env.topic('fanout.shipping.commands'),
  SAGA_REPLIES_TOPIC: env.topic('fanout.saga.replies'),
  /** How long a cancelled order is remembered, so a late CreateShipment books nothing. */
  COMPENSATION_TOMBSTONE_RETENTION_MS: env.positiveInt(7 * 24 * 3_600_000),
});

export type ShippingConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/**
 * The one place shipping-consumer reads the environment: the consumer settings, its topics,
 * and `SHIPPING_API_URL` with `SHIPPING_API_KEY` or `SHIPPING_API_KEY_FILE`.
 */
export function loadShippingConsumerConfig(
  source: NodeJS.ProcessEnv = process.env,
): ShippingConsumerConfig {
  return loadConsumerConfig(schema, 'SHIPPING', source);
}
