import { z } from 'zod';
import { consumerServiceEnv, loadConsumerConfig } from '@fanout/consumer-kit';
import type { ConsumerConfig } from '@fanout/consumer-kit';
import { env } from '@fanout/service-kit';

const schema = z.object({
  ...consumerServiceEnv({ port: 3101, groupId: 'email-consumer' }),
  USER_EVENTS_TOPIC: env.topic('fanout.user.events'),
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
  /** The user table topic the recipients view reads whole. */
  USER_CONTACTS_TOPIC: env.topic('fanout.user.contacts'),
  /** How long a handler waits for a customer the view does not know yet, before it retries. */
  RECIPIENT_WAIT_MS: env.durationMs(2_000),
});

export type EmailConsumerConfig = ConsumerConfig<z.output<typeof schema>>;

/** The one read of the environment: the shared consumer env plus EMAIL_API_URL / EMAIL_API_KEY[_FILE]. */
export function loadEmailConsumerConfig(
  source: NodeJS.ProcessEnv = process.env,
): EmailConsumerConfig {
  return loadConsumerConfig(schema, 'EMAIL', source);
}
