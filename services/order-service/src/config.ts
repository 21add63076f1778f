import { z } from 'zod';
import { domainServiceEnv, env, loadConfig, withKafkaSecurity } from '@fanout/service-kit';

const schema = withKafkaSecurity({
  ...domainServiceEnv(3002),
  /** Where OrderPlaced goes and OrderConfirmed/OrderCancelled come from. */
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
  /** Consumer group reading the saga's outcomes. */
  ORDER_CONSUMER_GROUP: z.string().min(1).default('order-service'),
  /** The user table topic the customers view reads whole. */
  USER_CONTACTS_TOPIC: env.topic('fanout.user.contacts'),
  /**
   * `view`: refuse an order whose customer is not a registered user (422), checked against the
   * customers view. `off`: take any customer id (an installation without user-service).
   */
  CUSTOMER_CHECK: z.enum(['view', 'off']).default('view'),
  /** How long an order waits for a customer the view does not know yet before the 422. */
  CUSTOMER_WAIT_MS: env.durationMs(5_000),
});

export type OrderServiceConfig = z.output<typeof schema>;

/** The one place order-service reads the environment. */
export function loadOrderServiceConfig(
  source: NodeJS.ProcessEnv = process.env,
): OrderServiceConfig {
  return loadConfig(schema, source);
}
