import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3102, groupId: 'crm-consumer' }),
  USER_EVENTS_TOPIC: env.topic('fanout.user.events'),
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
});

export type CrmConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/** The one read of the environment: the shared consumer env plus CRM_API_URL / CRM_API_KEY[_FILE]. */
export function loadCrmConsumerConfig(source: NodeJS.ProcessEnv = process.env): CrmConsumerConfig {
  return loadConsumerConfig(schema, 'CRM', source);
}
