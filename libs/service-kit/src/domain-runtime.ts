import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { RegistryCodec, defaultCatalog, ensureTopicSpecs } from '@fanout/contracts';
import { NonRetriableError } from '@fanout/errors';
import type { TopicSpec } from '@fanout/contracts';
import { EventPublisher, createKafkaClient, describeKafkaSecurity } from '@fanout/messaging';
import {
  PROMETHEUS_CONTENT_TYPE,
  fanoutMetrics,
  fastifyOtelPlugin,
  metricsText,
} from '@fanout/telemetry';
import type { Logger } from '@fanout/telemetry';
import { openDatabase } from './database';
import { GroupCommit } from './group-commit';
import type { SqliteDatabase } from './database';
import type { DomainServiceConfig } from './domain-env';
import { outboxPublisherFor } from './event-publisher-outbox';
import { GracefulShutdown } from './graceful-shutdown';
import { createHttpServer } from './http-server';
import { idempotency } from './idempotency-plugin';
import { kafkaLogCreator } from './kafka-log';
import { kafkaReachable } from './kafka-probe';
import { kafkaPublishedEventFinder } from './kafka-published-events';
import { OutboxRelay } from './outbox-relay';
import { SqliteOutbox } from './outbox-store';
import type { ReadinessChecks } from './readiness';
import { crashPointHooks } from './relay-crash-points';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store';

export interface DomainRuntimeOptions {
  /** `user-service`: the Kafka client id, the SQLite file name and the `producer` of events. */
  name: string;
  config: DomainServiceConfig;
  logger: Logger;
  /** Topics this service publishes to, created when missing once Kafka is reachable. */
  topics: readonly TopicSpec[];
  /** Flushed last on shutdown, after the relay's final spans. */
  telemetry?: { shutdown(): Promise<void> };
}

export interface DomainRuntime {
  db: SqliteDatabase;
  /** Writes of concurrent requests in one transaction, each answered after it commits. */
  groupCommit: GroupCommit;
  outbox: SqliteOutbox;
  app: FastifyInstance;
  readiness: ReadinessChecks;
  kafka: Kafka;
  codec: RegistryCodec;
  relay: OutboxRelay;
  shutdown: GracefulShutdown;
  /** Listens, starts the relay, installs SIGTERM/SIGINT handling; returns the bound address. */
  start(): Promise<string>;
}

/**
 * Wires what every domain service runs: the SQLite store with its outbox and idempotency
 * tables, the HTTP server (traced, authenticated, rate limited), the registry codec, the
 * idempotent producer and the relay between them, readiness, metrics and graceful shutdown.
 * Kafka and the registry are not needed to start: writes are accepted and wait in the outbox.
 */
export async function createDomainRuntime(options: DomainRuntimeOptions): Promise<DomainRuntime> {
  const { config, logger, name } = options;
  const shutdown = new GracefulShutdown({ logger, deadlineMs: config.SHUTDOWN_DEADLINE_MS });
  const { telemetry } = options;
  if (telemetry) shutdown.register('telemetry', () => telemetry.shutdown());

  const db = openDatabase(join(config.DATA_DIR, `${name}.db`), {
    synchronous: config.SQLITE_SYNCHRONOUS,
  });
  shutdown.register('database', () => {
    db.close();
  });
  const catalog = defaultCatalog();
  const outbox = new SqliteOutbox(db, {
    validate: (event) => {
      const type = catalog.event(event.eventType).type;
      // The fast check first; the paths of what is wrong only for an event that fails it.
      if (type.isValid(event.payload)) return;
      const paths: string[] = [];
      type.isValid(event.payload, { errorHook: (path) => paths.push(path.join('.')) });
      throw new NonRetriableError(
        'FANOUT_PAYLOAD_INVALID',
        `${event.eventType} does not match its schema`,
        { details: { eventType: event.eventType, fields: paths } },
      );
    },
  });

  const { app, readiness } = await createHttpServer({
    logger,
    apiKeys: config.API_KEYS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimit: { max: config.RATE_LIMIT_MAX, timeWindowMs: config.RATE_LIMIT_WINDOW_MS },
    metrics: { contentType: PROMETHEUS_CONTENT_TYPE, collect: metricsText },
  });
  await app.register(fastifyOtelPlugin());
  await app.register(idempotency, { store: new SqliteIdempotencyStore(db) });

  const kafka = createKafkaClient({
    clientId: name,
    brokers: config.KAFKA_BROKERS,
    security: config.kafkaSecurity,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    // Short: the relay's own backoff, not kafkajs's, paces retries while Kafka is down.
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
    logCreator: kafkaLogCreator(logger),
  });
  logger.info(
    {
      kafka: {
        brokers: config.KAFKA_BROKERS,
        security: describeKafkaSecurity(config.kafkaSecurity),
      },
    },
    'kafka client configured',
  );
  const codec = new RegistryCodec({ registry: { url: config.SCHEMA_REGISTRY_URL }, catalog });
  shutdown.register('registry client', () => codec.close());
  const publisher = new EventPublisher({ kafka, codec, timeoutMs: 10_000 });
  shutdown.register('producer', () => publisher.disconnect());

  const relay = new OutboxRelay({
    outbox,
    publisher: outboxPublisherFor(publisher, {
      beforeFirstPublish: async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          await ensureTopicSpecs(admin, options.topics, {
            replicationFactor: config.KAFKA_REPLICATION_FACTOR,
          });
        } finally {
          await admin.disconnect();
        }
      },
    }),
    logger: logger.child({ component: 'outbox-relay' }),
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    hooks: crashPointHooks(config.OUTBOX_TEST_CRASH_POINT),
    recovery: kafkaPublishedEventFinder(kafka),
    // After an outage the backlog goes out within a second of the broker's return, not after
    // the rest of a backoff that may have grown to 15 s.
    reachable: async () => (await kafkaReachable(kafka)()).ok,
  });
  shutdown.register('outbox relay', () => relay.stop());

  const metrics = fanoutMetrics();
  const recordBacklog = () => metrics.outboxBacklog({ outbox: name }, outbox.backlog());
  recordBacklog();
  const backlogTimer = setInterval(recordBacklog, 5_000);
  backlogTimer.unref();
  shutdown.register('metrics timer', () => clearInterval(backlogTimer));

  readiness.add('database', () => {
    db.prepare('SELECT 1').get();
    return { ok: true };
  });
  readiness.add('outbox', () => {
    const status = relay.status();
    return {
      ok: status.backlog <= config.OUTBOX_READY_MAX_BACKLOG,
      detail: `backlog ${status.backlog}, oldest ${status.oldestPendingAgeMs} ms${status.lastError ? `, last error: ${status.lastError}` : ''}`,
    };
  });
  // Reported, but not critical: the service's promise is to keep accepting writes while Kafka
  // or the registry is down, and an unready pod would be taken out of the load balancer.
  // The outbox check above turns critical once the backlog shows the outage matters.
  readiness.add('kafka', kafkaReachable(kafka), { critical: false });
  readiness.add(
    'schema-registry',
    () => ({ ok: codec.isReady(), detail: codec.isReady() ? 'ready' : 'waiting' }),
    {
      critical: false,
    },
  );

  return {
    db,
    groupCommit: new GroupCommit(db),
    outbox,
    app,
    readiness,
    kafka,
    codec,
    relay,
    shutdown,
    async start() {
      const address = await app.listen({ port: config.PORT, host: config.HOST });
      // Registered last, so it runs first: stop accepting and drain in-flight requests.
      shutdown.register('http server', () => app.close());
      relay.start();
      shutdown.installSignalHandlers();
      // In the background: the service is up without the registry; the codec retries on use.
      const controller = new AbortController();
      shutdown.register('registry wait', () => controller.abort());
      void codec
        .waitUntilReady({ timeoutMs: 24 * 60 * 60 * 1000, signal: controller.signal })
        .catch((error: unknown) => {
          if (!controller.signal.aborted) logger.warn({ err: error }, 'schema registry not ready');
        });
      logger.info({ address }, `${name} listening`);
      return address;
    },
  };
}
