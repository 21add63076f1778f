import { join } from 'node:path';
import { RegistryCodec } from '@fanout/contracts';
import { JaegerClient } from '@fanout/inspection';
import { createKafkaClient, describeKafkaSecurity } from '@fanout/messaging';
import {
  GracefulShutdown,
  createHttpServer,
  kafkaLogCreator,
  kafkaReachable,
} from '@fanout/service-kit';
import { PROMETHEUS_CONTENT_TYPE, fastifyOtelPlugin, metricsText } from '@fanout/telemetry';
import type { Logger } from '@fanout/telemetry';
import type { ConsoleConfig } from './config';
import { API_KEY_COOKIE, consoleRoutes } from './console-routes';
import { ConsoleView } from './console-view';
import { DeadLetterReplayer } from './dead-letter-replayer';
import { HealthProbe } from './health-probe';
import { ViewFeed } from './view-feed';

export interface ConsoleService {
  view: ConsoleView;
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Wires the console: the SQLite view, its Kafka reader, the replayer and the pages. */
export async function createConsoleService(
  config: ConsoleConfig,
  logger: Logger,
): Promise<ConsoleService> {
  const shutdown = new GracefulShutdown({ logger, deadlineMs: config.SHUTDOWN_DEADLINE_MS });
  const view = new ConsoleView(join(config.DATA_DIR, 'console-view.sqlite'));
  shutdown.register('view', () => view.close());

  const kafka = createKafkaClient({
    clientId: 'console',
    brokers: config.KAFKA_BROKERS,
    security: config.kafkaSecurity,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
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
  const codec = new RegistryCodec({
    registry: { url: config.SCHEMA_REGISTRY_URL },
    autoRegister: false,
  });
  shutdown.register('registry client', () => codec.close());

  const feed = new ViewFeed({
    kafka,
    codec,
    view,
    topics: {
      domain: config.DOMAIN_EVENT_TOPICS,
      ledger: config.CALL_LEDGER_TOPIC,
      sagaState: config.SAGA_STATE_TOPIC,
      sagaMessages: config.SAGA_MESSAGE_TOPICS,
    },
    groupId: config.CONSOLE_GROUP_ID,
    logger: logger.child({ component: 'view-feed' }),
    refreshMs: config.TOPIC_REFRESH_MS,
  });
  shutdown.register('view feed', () => feed.stop());
  const replayer = new DeadLetterReplayer(kafka, view, logger);
  shutdown.register('replay producer', () => replayer.stop());
  const admin = kafka.admin();
  shutdown.register('admin', () => admin.disconnect());

  const { app, readiness } = await createHttpServer({
    logger,
    apiKeys: config.API_KEYS,
    apiKeyCookie: API_KEY_COOKIE,
    rateLimit: { max: config.RATE_LIMIT_MAX, timeWindowMs: 1_000 },
    metrics: { contentType: PROMETHEUS_CONTENT_TYPE, collect: metricsText },
  });
  await app.register(fastifyOtelPlugin());
  await consoleRoutes(app, {
    view,
    codec,
    jaeger: new JaegerClient(config.JAEGER_QUERY_URL, { timeoutMs: 3_000 }),
    replayer,
    health: new HealthProbe(admin, config.CONSUMER_URLS, config.CONSOLE_GROUP_ID),
    feed,
    apis: config.CONSOLE_APIS,
    apiKeys: config.API_KEYS,
  });
  readiness.add('database', () => {
    view.db.prepare('SELECT 1').get();
    return { ok: true };
  });
  readiness.add('kafka', kafkaReachable(kafka), { critical: false });
  readiness.add(
    'view feed',
    () => ({
      ok: feed.stats.topics > 0,
      detail: `${feed.stats.recordsRead} records from ${feed.stats.topics} topics`,
    }),
    { critical: false },
  );

  return {
    view,
    async start() {
      const address = await app.listen({ port: config.PORT, host: config.HOST });
      shutdown.register('http server', () => app.close());
      shutdown.installSignalHandlers();
      // The pages answer from the view at once; the reader catches up in the background and
      // keeps trying while Kafka is away.
      void (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            await admin.connect();
            await feed.start();
            return;
          } catch (error) {
            logger.warn({ err: error, attempt }, 'console reader could not start; retrying');
            await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, attempt * 1_000)));
          }
        }
      })();
      logger.info({ address }, 'console listening');
      return address;
    },
    stop: () => shutdown.run(),
  };
}
