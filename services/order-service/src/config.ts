import { z } from 'zod';
import {
  ConfigError,
  domainServiceEnv,
  env,
  loadConfig,
  withKafkaSecurity,
} from '@fanout/service-kit';

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
  /**
   * The owner of the users, asked (GET /users/:id) when the view does not know a customer after
   * the wait: a registration user-service accepted but could not publish yet (registry or Kafka
   * down) is then taken, not refused. Unset: the view decides alone.
   */
  USER_SERVICE_URL: z.string().url().optional(),
  /** The API key order-service presents to user-service; required with USER_SERVICE_URL. */
  USER_SERVICE_API_KEY: z.string().min(1).optional(),
  /** How long that question may take before the order gets a 503. */
  USER_SERVICE_TIMEOUT_MS: env.durationMs(2_000),
});

export type OrderServiceConfig = z.output<typeof schema>;

/** The one place order-service reads the environment. */
export function loadOrderServiceConfig(
  source: NodeJS.ProcessEnv = process.env,
): OrderServiceConfig {
  const config = loadConfig(schema, source);
  if (config.USER_SERVICE_URL !== undefined && config.USER_SERVICE_API_KEY === undefined)
    throw new ConfigError([
      { variable: 'USER_SERVICE_API_KEY', message: 'is required when USER_SERVICE_URL is set' },
    ]);
  return config;
}
