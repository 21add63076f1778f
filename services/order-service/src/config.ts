import { z } from 'zod';
import { domainServiceEnv, env, loadConfig, withKafkaSecurity } from '@fanout/service-kit';

const schema = withKafkaSecurity({
  ...domainServiceEnv(3002),
  /** Where OrderPlaced goes and OrderConfirmed/OrderCancelled come from. */
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
  /** Consumer group reading the saga's outcomes. */
  ORDER_CONSUMER_GROUP: z.string().min(1).default('order-service'),
});

export type OrderServiceConfig = z.output<typeof schema>;

/** The one place order-service reads the environment. */
export function loadOrderServiceConfig(
  source: NodeJS.ProcessEnv = process.env,
): OrderServiceConfig {
  return loadConfig(schema, source);
}
