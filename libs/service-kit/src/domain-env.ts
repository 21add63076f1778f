import { z } from 'zod';
import { env } from './common-env';
import { withKafkaSecurity } from './kafka-security-env';

/**
 * The environment every domain service (an HTTP API with a SQLite store and an outbox) reads.
 * A service spreads it into its own schema and adds its own variables.
 */
export function domainServiceEnv(defaultPort: number) {
  return {
    PORT: env.port(defaultPort),
    HOST: env.host(),
    LOG_LEVEL: env.logLevel(),
    KAFKA_BROKERS: env.kafkaBrokers(),
    SCHEMA_REGISTRY_URL: env.schemaRegistryUrl(),
    DATA_DIR: env.dataDir('.fanout/data'),
    API_KEYS: env.apiKeys(),
    /** Largest request body in bytes; larger gets 413. */
    BODY_LIMIT_BYTES: env.positiveInt(16 * 1024),
    /** Requests per API key per RATE_LIMIT_WINDOW_MS; more gets 429. */
    RATE_LIMIT_MAX: env.positiveInt(1_000),
    RATE_LIMIT_WINDOW_MS: env.positiveInt(1_000),
    /** /readyz fails while more events than this wait in the outbox. */
    OUTBOX_READY_MAX_BACKLOG: env.positiveInt(10_000),
    OUTBOX_BATCH_SIZE: env.positiveInt(200),
    OUTBOX_POLL_INTERVAL_MS: env.positiveInt(1_000),
    /** Replication factor for topics the service creates when missing (1 on a local broker). */
    KAFKA_REPLICATION_FACTOR: env.positiveInt(1),
    /**
     * NORMAL (WAL): a commit survives a process crash (SIGKILL), not an OS crash or power loss,
     * and costs no fsync per request. FULL adds power-loss durability at one fsync per commit,
     * on the event loop (see docs/domain-benchmark.md for the price on this machine).
     */
    SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('NORMAL'),
    SHUTDOWN_DEADLINE_MS: env.positiveInt(10_000),
    /** Test only: makes the relay SIGKILL itself at this point of its cycle. */
    OUTBOX_TEST_CRASH_POINT: z.enum(['after-fetch', 'after-publish']).optional(),
  };
}

const _domainSchema = withKafkaSecurity(domainServiceEnv(0));
export type DomainServiceConfig = z.output<typeof _domainSchema>;
