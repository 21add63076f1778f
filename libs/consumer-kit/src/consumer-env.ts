import { z } from 'zod';
import { downstreamTarget } from '@fanout/downstream';
import type { DownstreamTarget } from '@fanout/downstream';
import type { KafkaSecurity } from '@fanout/messaging';
import { ConfigError, env, loadConfig, loadKafkaSecurity } from '@fanout/service-kit';
import type { ConfigIssue } from '@fanout/service-kit';

const msList = (defaults: string) =>
  z
    .string()
    .default(defaults)
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map(Number),
    )
    .pipe(z.array(z.number().int().min(0, 'expected milliseconds ≥ 0')));

const flag = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

/**
 * The environment every consumer service reads, beside its own topics and its API's
 * `<API>_API_URL` / `<API>_API_KEY[_FILE]`. A service spreads it into its schema in config.ts.
 */
export function consumerServiceEnv(options: { port: number; groupId: string }) {
  return {
    PORT: env.port(options.port),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    KAFKA_BROKERS: env.kafkaBrokers(),
    SCHEMA_REGISTRY_URL: env.schemaRegistryUrl(),
    DATA_DIR: env.dataDir('.fanout/data'),
    /** Replicas of topics the service creates when missing (1 on a local broker). */
    KAFKA_REPLICATION_FACTOR: env.positiveInt(1),
    CONSUMER_GROUP_ID: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected a consumer group id')
      .default(options.groupId),
    /** Events in flight per partition (distinct keys in parallel, same key in order). */
    CONSUMER_CONCURRENCY: env.positiveInt(100),
    /**
     * Fetch batching: the broker answers a fetch once this many bytes are ready, or after
     * CONSUMER_FETCH_MAX_WAIT_MS. Larger batches cost less per event; the wait is the most a
     * lone event can be held back when traffic is light. Defaults (issue 15): 64 KiB or 25 ms,
     * so a busy consumer sends one fetch per ~80 events instead of one per handful (each fetch
     * costs a request and a response in the consumer and in the broker), and a lone event
     * waits at most 25 ms. 1 byte answers every fetch at once, the lowest latency.
     */
    CONSUMER_FETCH_MIN_BYTES: env.positiveInt(65_536),
    CONSUMER_FETCH_MAX_WAIT_MS: env.positiveInt(25),
    /**
     * After a fetch that returned nothing, the next is a long poll of this many ms that the
     * broker answers at the first record: an idle consumer sends 2 fetches a second instead of
     * 40 (each one CPU in the consumer and the broker), and a lone event is not held back by
     * CONSUMER_FETCH_MAX_WAIT_MS at all. Busy fetches use the two settings above.
     */
    CONSUMER_FETCH_IDLE_WAIT_MS: env.positiveInt(500),
    /** Handler attempts within one delivery before the event moves to a retry topic. */
    RETRY_IMMEDIATE_ATTEMPTS: env.positiveInt(3),
    /** Delays of the retry topics, comma-separated ms; after the last, the dead-letter topic. */
    RETRY_TIERS_MS: msList('5000,30000,120000,600000'),
    /** Dedupe redeliveries by eventId in a SQLite file under DATA_DIR. */
    DEDUPE_ENABLED: flag(true),
    CALL_LEDGER_TOPIC: env.topic('fanout.audit.api-calls'),
    API_CONNECT_TIMEOUT_MS: env.positiveInt(2_000),
    API_TIMEOUT_MS: env.positiveInt(5_000),
    /** Attempts of one call, in process, before the consumer runtime's retry takes over. */
    API_RETRY_ATTEMPTS: env.positiveInt(4),
    API_RETRY_MAX_ELAPSED_MS: env.positiveInt(15_000),
    /** Requests per second towards the API (token bucket); 0 for no local limit. */
    API_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(0),
    API_MAX_CONCURRENT: env.positiveInt(64),
    CIRCUIT_FAILURES: env.positiveInt(5),
    CIRCUIT_OPEN_MS: env.positiveInt(5_000),
    /** Bulk lanes (analytics, search): items per request and linger time. */
    BATCH_MAX_SIZE: env.positiveInt(100),
    BATCH_LINGER_MS: env.durationMs(20),
    SHUTDOWN_DEADLINE_MS: env.positiveInt(15_000),
  };
}

const _schema = z.object(consumerServiceEnv({ port: 0, groupId: 'x' }));
export type ConsumerServiceEnv = z.output<typeof _schema>;

/** A consumer's compiled config: its env, plus its API's base URL and credential and Kafka's security. */
export type ConsumerConfig<C extends ConsumerServiceEnv = ConsumerServiceEnv> = C & {
  downstream: DownstreamTarget;
  kafkaSecurity: KafkaSecurity;
};

/**
 * One validated read of the environment for a consumer: the zod schema, then the API's
 * `<API>_API_URL` and `<API>_API_KEY` or `<API>_API_KEY_FILE`. Every bad variable is reported in
 * one ConfigError naming it, so the service refuses to start with an actionable message.
 */
export function loadConsumerConfig<S extends z.ZodType<ConsumerServiceEnv, z.ZodTypeDef, unknown>>(
  schema: S,
  apiPrefix: string,
  source: NodeJS.ProcessEnv,
): ConsumerConfig<z.output<S>> {
  const issues: ConfigIssue[] = [];
  let config: z.output<S> | undefined;
  try {
    config = loadConfig(schema, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  // KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_* (see @fanout/service-kit).
  let kafkaSecurity: KafkaSecurity | undefined;
  try {
    kafkaSecurity = loadKafkaSecurity(source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  let downstream: DownstreamTarget | undefined;
  try {
    downstream = downstreamTarget(source, apiPrefix);
  } catch (error) {
    const variable = (error as { details?: { variable?: unknown } }).details?.variable;
    if (typeof variable !== 'string') throw error;
    const message = (error as Error).message.replace(new RegExp(`^${variable}:? ?`), '');
    issues.push({ variable, message: message || 'is invalid' });
  }
  if (issues.length > 0 || !config || !downstream || !kafkaSecurity) throw new ConfigError(issues);
  return { ...config, downstream, kafkaSecurity };
}
