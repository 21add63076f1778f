import { z } from 'zod';
import { env, loadConfig, withKafkaSecurity } from '@fanout/service-kit';

const schema = withKafkaSecurity({
  PORT: env.port(3110),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  KAFKA_BROKERS: env.kafkaBrokers(),
  SCHEMA_REGISTRY_URL: env.schemaRegistryUrl(),
  /** Consumer group; also fences: instances of one coordinator share it. */
  SAGA_GROUP_ID: z.string().min(1).default('saga-coordinator'),
  /** Transactional ids are `<prefix>-p<partition>`; unique per coordinator deployment. */
  SAGA_TRANSACTIONAL_ID_PREFIX: z.string().min(1).default('saga-coordinator'),
  // Topics: the catalog's, unless a test isolates itself.
  ORDER_EVENTS_TOPIC: env.topic('fanout.order.events'),
  SAGA_REPLIES_TOPIC: env.topic('fanout.saga.replies'),
  SAGA_STATE_TOPIC: env.topic('fanout.saga.state'),
  SAGA_DEAD_LETTER_TOPIC: env.topic('fanout.saga.dead-letter'),
  INVENTORY_COMMANDS_TOPIC: env.topic('fanout.inventory.commands'),
  PAYMENT_COMMANDS_TOPIC: env.topic('fanout.payment.commands'),
  SHIPPING_COMMANDS_TOPIC: env.topic('fanout.shipping.commands'),
  /** Per step of the order saga: how long a participant may take, its retries included. */
  ORDER_STEP_TIMEOUT_MS: env.positiveInt(30_000),
  ORDER_SAGA_TIMEOUT_MS: env.positiveInt(120_000),
  /** Wait for a compensation's acknowledgement before resending it. */
  ORDER_COMPENSATION_TIMEOUT_MS: env.positiveInt(10_000),
  /** How long the group waits for a silent instance before its partitions move to another. */
  SAGA_SESSION_TIMEOUT_MS: env.positiveInt(30_000),
  /** How often due timers are looked for. */
  SAGA_TICK_INTERVAL_MS: env.positiveInt(100),
  SAGA_RESTORE_TIMEOUT_MS: env.positiveInt(60_000),
  SAGA_MAX_MESSAGES_PER_TRANSACTION: env.positiveInt(200),
  /** Finished sagas are kept this long to recognise late replies, then purged. */
  SAGA_TERMINAL_RETENTION_MS: env.positiveInt(7 * 24 * 3_600_000),
  /** Create the catalog's saga topics when missing (1 on a local broker). */
  KAFKA_REPLICATION_FACTOR: env.positiveInt(1),
  SHUTDOWN_DEADLINE_MS: env.positiveInt(15_000),
});

export type SagaCoordinatorConfig = z.output<typeof schema>;

/** The one place the saga coordinator reads the environment. */
export function loadSagaCoordinatorConfig(
  source: NodeJS.ProcessEnv = process.env,
): SagaCoordinatorConfig {
  return loadConfig(schema, source);
}
