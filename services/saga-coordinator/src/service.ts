import { createKafkaClient, describeKafkaSecurity } from '@fanout/messaging';
import { RegistryCodec, defaultCatalog, ensureTopicSpecs } from '@fanout/contracts';
import { GracefulShutdown, createHttpServer, kafkaLogCreator } from '@fanout/service-kit';
import { PROMETHEUS_CONTENT_TYPE, fanoutMetrics, metricsText } from '@fanout/telemetry';
import type { Logger, Telemetry } from '@fanout/telemetry';
import type { SagaCoordinatorConfig } from './config';
import { setTimeout as sleep } from 'node:timers/promises';
import { CrashBudget } from './crash-budget';
import { SagaCoordinator } from './saga-coordinator';
import { SagaRegistry } from './saga-registry';
import { createOrderSaga } from './sagas/order-saga';
import { orderSagaTopics } from './topology';

const SERVICE = 'saga-coordinator';

/**
 * Wires the coordinator: Kafka, the registry codec, the order saga, /healthz /readyz /metrics,
 * and a graceful shutdown that finishes in-flight transactions before leaving the group.
 */
export async function runSagaCoordinator(
  config: SagaCoordinatorConfig,
  logger: Logger,
  telemetry?: Telemetry,
): Promise<{ coordinator: () => SagaCoordinator; shutdown: GracefulShutdown }> {
  const shutdown = new GracefulShutdown({ logger, deadlineMs: config.SHUTDOWN_DEADLINE_MS });
  if (telemetry) shutdown.register('telemetry', () => telemetry.shutdown());

  const kafka = createKafkaClient({
    clientId: SERVICE,
    brokers: config.KAFKA_BROKERS,
    security: config.kafkaSecurity,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    // Short first backoff: right after a commit the broker answers the next transaction's
    // AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until its markers are written, and
    // kafkajs's default 300 ms first retry would add that to every saga step.
    retry: { initialRetryTime: 20, maxRetryTime: 2_000, retries: 12 },
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
  const codec = new RegistryCodec({ registry: { url: config.SCHEMA_REGISTRY_URL } });
  shutdown.register('registry client', () => codec.close());

  const topics = orderSagaTopics(config);
  const sagas = SagaRegistry.of([
    createOrderSaga({
      reserveInventoryMs: config.ORDER_STEP_TIMEOUT_MS,
      authorizePaymentMs: config.ORDER_STEP_TIMEOUT_MS,
      createShipmentMs: config.ORDER_STEP_TIMEOUT_MS,
      sagaMs: config.ORDER_SAGA_TIMEOUT_MS,
      compensationMs: config.ORDER_COMPENSATION_TIMEOUT_MS,
    }),
  ]);
  const newCoordinator = (): SagaCoordinator =>
    new SagaCoordinator({
      kafka,
      codec,
      sagas,
      topics,
      groupId: config.SAGA_GROUP_ID,
      transactionalIdPrefix: config.SAGA_TRANSACTIONAL_ID_PREFIX,
      producerName: SERVICE,
      logger,
      metrics: fanoutMetrics(),
      tickIntervalMs: config.SAGA_TICK_INTERVAL_MS,
      sessionTimeoutMs: config.SAGA_SESSION_TIMEOUT_MS,
      restoreTimeoutMs: config.SAGA_RESTORE_TIMEOUT_MS,
      maxMessagesPerTransaction: config.SAGA_MAX_MESSAGES_PER_TRANSACTION,
      terminalRetentionMs: config.SAGA_TERMINAL_RETENTION_MS,
      onCrash: (error) => void recover(error),
    });
  let coordinator = newCoordinator();
  let stopping = false;
  let recovering = false;
  const budget = new CrashBudget();
  /**
   * A crash kafkajs does not restart from (a non-retriable error such as
   * OUT_OF_ORDER_SEQUENCE_NUMBER after a broker restart) leaves the consumer stopped. Rebuild
   * the coordinator with fresh clients, as a process restart would: new producers fence the old
   * transactions, partitions are restored from the changelog on assignment. Beyond the budget,
   * exit for the orchestrator (the local stack has none after `npm start` returns).
   */
  async function recover(error: Error): Promise<void> {
    if (stopping || recovering) return;
    if (!budget.allowRestart()) {
      logger.fatal(
        { err: error, crashes: budget.recent },
        'saga coordinator keeps crashing; exiting so it is restarted',
      );
      void shutdown.run().finally(() => process.exit(1));
      return;
    }
    recovering = true;
    logger.error(
      { err: error, crashes: budget.recent },
      'saga consumer stopped; rebuilding the coordinator in-process',
    );
    await coordinator
      .stop()
      .catch((e: unknown) => logger.warn({ err: e }, 'stopping the crashed coordinator failed'));
    for (let attempt = 1; !stopping; attempt++) {
      coordinator = newCoordinator();
      try {
        await coordinator.start();
        logger.info({ attempt }, 'saga coordinator rebuilt and consuming again');
        break;
      } catch (e) {
        logger.warn({ err: e, attempt }, 'rebuilding the saga coordinator failed; retrying');
        await coordinator.stop().catch(() => undefined);
        await sleep(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
      }
    }
    recovering = false;
  }

  const { app, readiness } = await createHttpServer({
    logger,
    apiKeys: [],
    metrics: { contentType: PROMETHEUS_CONTENT_TYPE, collect: metricsText },
  });
  readiness.add('schema-registry', () => ({
    ok: codec.isReady(),
    detail: codec.isReady() ? 'ready' : 'waiting',
  }));
  readiness.add('sagas', () => ({
    ok: coordinator.isReady(),
    detail: `owns partitions [${coordinator.ownedPartitions().join(',')}]`,
  }));
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  shutdown.register('http server', () => app.close());
  shutdown.installSignalHandlers();
  logger.info({ address }, `${SERVICE} listening`);

  // Topics of the catalog are created when missing; test topics are the test's business.
  const catalog = defaultCatalog();
  const names = new Set([
    topics.state,
    topics.deadLetter,
    ...topics.inputs,
    ...Object.values(topics.routes),
  ]);
  const specs = catalog.topics.filter((t) => names.has(t.name));
  if (specs.length > 0) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopicSpecs(admin, specs, { replicationFactor: config.KAFKA_REPLICATION_FACTOR });
    } finally {
      await admin.disconnect();
    }
  }
  await codec.waitUntilReady({
    timeoutMs: 24 * 3_600_000,
    onWaiting: ({ attempt, error }) =>
      logger.warn({ attempt, err: error }, 'waiting for the schema registry'),
  });
  await coordinator.start();
  // Registered after start, so it runs before the producer-side closers above.
  shutdown.register('saga coordinator', () => {
    stopping = true;
    return coordinator.stop();
  });
  // A getter: a crash rebuilds the coordinator (recover above).
  return { coordinator: () => coordinator, shutdown };
}
