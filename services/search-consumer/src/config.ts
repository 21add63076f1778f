import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3104, groupId: 'search-consumer' }),
  USER_EVENTS_TOPIC: env.topic('fanout.user.events'),
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
});

export type SearchConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/** The one read of the environment: the shared consumer env plus SEARCH_API_URL / SEARCH_API_KEY[_FILE]. */
export function loadSearchConsumerConfig(
  source: NodeJS.ProcessEnv = process.env,
): SearchConsumerConfig {
  return loadConsumerConfig(schema, 'SEARCH', source);
}
