import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3105, groupId: 'inventory-consumer' }),
  // Topics: the catalog's, unless a test isolates itself.
  INVENTORY_COMMANDS_TOPIC: env.topic('fanout.inventory.commands'),
  SAGA_REPLIES_TOPIC: env.topic('fanout.saga.replies'),
  /** How long a released order is remembered, so a late ReserveInventory reserves nothing. */
  COMPENSATION_TOMBSTONE_RETENTION_MS: env.positiveInt(7 * 24 * 3_600_000),
});

export type InventoryConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/**
 * The one place inventory-consumer reads the environment: the consumer settings, its topics,
 * and `INVENTORY_API_URL` with `INVENTORY_API_KEY` or `INVENTORY_API_KEY_FILE`.
 */
export function loadInventoryConsumerConfig(
  source: NodeJS.ProcessEnv = process.env,
): InventoryConsumerConfig {
  return loadConsumerConfig(schema, 'INVENTORY', source);
}
