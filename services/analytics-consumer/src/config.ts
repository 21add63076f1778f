import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3103, groupId: 'analytics-consumer' }),
  USER_EVENTS_TOPIC: env.topic('fanout.user.events'),
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
});

export type AnalyticsConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/** The one read of the environment: the shared consumer env plus ANALYTICS_API_URL / ANALYTICS_API_KEY[_FILE]. */
export function loadAnalyticsConsumerConfig(
  source: NodeJS.ProcessEnv = process.env,
): AnalyticsConsumerConfig {
  return loadConsumerConfig(schema, 'ANALYTICS', source);
}
