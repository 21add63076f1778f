import { join } from 'node:path';
import { logLevel as KafkaLogLevel } from 'kafkajs';
import { RegistryCodec, defaultCatalog, ensureTopicSpecs, newMetadata } from '@fanout/contracts';
import type { EventType, TopicSpec } from '@fanout/contracts';
import { DownstreamClient, idempotencyKey, pauseWhileCircuitOpen } from '@fanout/downstream';
import type { CallAttempt, CircuitStateChange } from '@fanout/downstream';
import { NonRetriableError } from '@fanout/errors';
import {
  EventPublisher,
  createConsumerRuntime,
  createKafkaClient,
  describeKafkaSecurity,
  ensureRuntimeTopics,
  isTransientKafkaError,
  lagAfterBatch,
} from '@fanout/messaging';
import type { ConsumedEvent, ConsumerRuntime, HandlerContext } from '@fanout/messaging';
import { GlobalTable, createHttpServer, kafkaLogCreator } from '@fanout/service-kit';
import type { ReadinessChecks } from '@fanout/service-kit';
import { PROMETHEUS_CONTENT_TYPE, fanoutMetrics, metricsText } from '@fanout/telemetry';
import type { Logger } from '@fanout/telemetry';
import type { FastifyInstance } from 'fastify';
import { BulkLane } from './bulk-lane';
import { CallLedgerPublisher } from './call-ledger-publisher';
import { runInCallScope } from './call-scope';
import { runThroughCircuit } from './circuit-gate';
import { credentialRejection } from './credential-rejection';
import type { ConsumerConfig, ConsumerServiceEnv } from './consumer-env';
import type {
  ApiTools,
  ConsumerContext,
  ConsumerDefinition,
  ConsumerHandler,
  GlobalTableView,
} from './consumer-definition';

export interface StartConsumerOptions {
  logger: Logger;
  /** Flushed last on stop. */
  telemetry?: { shutdown(): Promise<void> };
}

/** A running consumer service (in-process handle for tests; main.ts uses runConsumerService). */
export interface ConsumerService<A> {
  /** Bound address of the health/metrics server, e.g. http://127.0.0.1:3102 */
  readonly address: string;
  readonly app: FastifyInstance;
  readonly readiness: ReadinessChecks;
  readonly runtime: ConsumerRuntime;
  readonly client: DownstreamClient;
  readonly ledger: CallLedgerPublisher;
  readonly api: A;
  /** Resolves once the registry answered, topics exist and the group consumes. */
  readonly consuming: Promise<void>;
  /** Stops consuming (in-flight work finishes within the deadline), flushes the ledger, closes. */
  stop(): Promise<void>;
}

const AUDIT_TOPIC = 'fanout.audit.api-calls';

/**
 * Starts one consumer service: health/metrics server first (not ready meanwhile), then waits
 * for the registry, ensures topics, and consumes. Delivery contract (from the runtime):
 * at-least-once with per-key order; each side effect once through Idempotency-Keys derived from
 * the eventId; failures retry through the retry topics or go to the dead-letter topic by their
 * `retriable` flag; consumption pauses while the API's circuit is open.
 */
export async function startConsumerService<C extends ConsumerServiceEnv, A>(
  definition: ConsumerDefinition<C, A>,
  config: ConsumerConfig<C>,
  options: StartConsumerOptions,
): Promise<ConsumerService<A>> {
  const { logger } = options;
  const metrics = fanoutMetrics();
  const catalog = defaultCatalog();
  const groupId = config.CONSUMER_GROUP_ID;
  const closers: Array<{ name: string; close: () => unknown }> = [];

  const { app, readiness } = await createHttpServer({
    logger,
    apiKeys: [],
    metrics: { contentType: PROMETHEUS_CONTENT_TYPE, collect: metricsText },
  });

  const kafka = createKafkaClient({
    clientId: definition.name,
    brokers: config.KAFKA_BROKERS,
    security: config.kafkaSecurity,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    logLevel: KafkaLogLevel.WARN,
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
  const ledger = new CallLedgerPublisher({
    kafka,
    codec,
    service: definition.name,
    topic: config.CALL_LEDGER_TOPIC,
    logger: logger.child({ component: 'call-ledger' }),
  });

  const client = new DownstreamClient({
    api: definition.api,
    baseUrl: config.downstream.baseUrl,
    credential: config.downstream.credential,
    timeouts: {
      connectMs: config.API_CONNECT_TIMEOUT_MS,
      headersMs: config.API_TIMEOUT_MS,
      bodyMs: config.API_TIMEOUT_MS,
    },
    retry: {
      maxAttempts: config.API_RETRY_ATTEMPTS,
      maxElapsedMs: config.API_RETRY_MAX_ELAPSED_MS,
    },
    circuitBreaker: {
      consecutiveFailures: config.CIRCUIT_FAILURES,
      openDurationMs: config.CIRCUIT_OPEN_MS,
    },
    rateLimit:
      config.API_RATE_LIMIT_PER_SECOND > 0
        ? { ratePerSecond: config.API_RATE_LIMIT_PER_SECOND }
        : null,
    bulkhead: { maxConcurrent: config.API_MAX_CONCURRENT },
    userAgent: `${definition.name}/0.1`,
    onAttempt: (attempt) =>
      metrics.apiCallDuration(apiLabels(definition.api, attempt), attempt.latencyMs / 1000),
    ledger,
  });

  const lanes: Array<BulkLane<unknown, unknown>> = [];
  const tables: Array<{ view: GlobalTableView<unknown>; table: GlobalTable<unknown> }> = [];
  const tools: ApiTools<C> = {
    config,
    logger,
    bulkLane: (laneOptions) => {
      const lane = new BulkLane({
        maxSize: laneOptions.maxSize ?? config.BATCH_MAX_SIZE,
        lingerMs: laneOptions.lingerMs ?? config.BATCH_LINGER_MS,
        send: laneOptions.send,
      });
      lanes.push(lane as BulkLane<unknown, unknown>);
      return lane;
    },
    onClose: (close) => closers.push({ name: 'api resource', close }),
    globalTable: (view) => {
      const table = new GlobalTable({
        ...view,
        kafka,
        codec,
        file: join(config.DATA_DIR, `${definition.name}-view-${view.name}.db`),
        logger: logger.child({ component: 'view', view: view.name }),
        groupPrefix: groupId,
        // The view reader batches its fetches as the consumer does.
        fetch: {
          busyMinBytes: config.CONSUMER_FETCH_MIN_BYTES,
          busyMaxWaitMs: config.CONSUMER_FETCH_MAX_WAIT_MS,
          idleMaxWaitMs: config.CONSUMER_FETCH_IDLE_WAIT_MS,
        },
      });
      tables.push({ view, table: table as GlobalTable<unknown> });
      return table;
    },
  };
  const api = definition.createApi(client, tools);

  const publishes = definition.publishes?.(config) ?? {};
  const publisher =
    Object.keys(publishes).length > 0
      ? new EventPublisher({ kafka, codec, timeoutMs: 10_000 })
      : undefined;

  const handlerLogger = logger.child({ component: 'handler' });
  let credentialWarnedAt = 0;
  const warnCredentialRejected = (error: Error): void => {
    // Once a minute: every event fails the same way while the key is wrong.
    if (Date.now() - credentialWarnedAt < 60_000) return;
    credentialWarnedAt = Date.now();
    logger.error(
      { err: error },
      `${definition.api} API refuses our credential: fix the ${definition.api.toUpperCase()}_API_KEY; events wait in the retry topics`,
    );
  };
  const handle = async (event: ConsumedEvent, runtimeContext: HandlerContext): Promise<void> => {
    const handler = definition.handlers[event.eventType as EventType] as
      | ConsumerHandler<EventType, A>
      | undefined;
    // Other event types share these topics (e.g. OrderPlaced): not ours, done.
    if (!handler) return;
    const payload = event.value as { metadata: { eventId: string; correlationId: string } };
    const context: ConsumerContext<A> = {
      api,
      event,
      signal: runtimeContext.signal,
      logger: handlerLogger,
      idempotencyKey: (action) => idempotencyKey(event.eventId, action),
      publish: async (eventType, body) => {
        const topic = publishes[eventType];
        if (!publisher || !topic) {
          throw new NonRetriableError(
            'FANOUT_HANDLER_FAILED',
            `${definition.name} does not publish ${eventType}`,
            { details: { eventType } },
          );
        }
        // The eventId is derived from the command's, so a redelivered command republishes the
        // same reply (same eventId), which the receiver's eventId dedupe drops.
        const value = {
          ...body,
          metadata: {
            ...newMetadata({ producer: definition.name, causedBy: payload.metadata }),
            eventId: idempotencyKey(event.eventId, `publish:${eventType}`),
          },
        };
        await publisher.publish({ topic, key: catalog.keyOf(eventType, value), eventType, value });
      },
    };
    await runInCallScope(
      {
        eventIds: [event.eventId],
        subject: event.key,
        correlationId: payload.metadata.correlationId,
      },
      () =>
        runThroughCircuit(client.breaker, runtimeContext.signal, () =>
          handler(payload as never, context),
        ).catch((error: unknown) => {
          const rejected = credentialRejection(error);
          if (!rejected) throw error;
          warnCredentialRejected(rejected);
          throw rejected;
        }),
    );
  };

  const runtime = createConsumerRuntime({
    kafka,
    groupId,
    topics: definition.topics(config),
    codec,
    handler: handle,
    concurrency: { perPartition: config.CONSUMER_CONCURRENCY },
    consumer: {
      minBytes: config.CONSUMER_FETCH_MIN_BYTES,
      maxWaitTimeInMs: config.CONSUMER_FETCH_MAX_WAIT_MS,
    },
    idleFetchWaitMs: config.CONSUMER_FETCH_IDLE_WAIT_MS,
    retry: { immediateAttempts: config.RETRY_IMMEDIATE_ATTEMPTS, tiers: config.RETRY_TIERS_MS },
    dedupe: config.DEDUPE_ENABLED ? { dataDir: config.DATA_DIR } : false,
    // Every attempt of a committed event is on the audit topic before its offset is committed.
    beforeCommit: () => ledger.flushRecorded(),
    shutdownDeadlineMs: config.SHUTDOWN_DEADLINE_MS,
  });
  wireRuntimeEvents(runtime, groupId, logger);

  // The circuit decides whether we consume: open → pause (the group keeps its members and
  // partitions), half-open → resume so probes can run, closed → consume as usual.
  client.onCircuitChange((change: CircuitStateChange) => {
    metrics.circuitState({ api: definition.api }, change.to);
    logger.warn(
      { api: change.name, from: change.from, to: change.to, reason: change.reason },
      'circuit state changed',
    );
  });
  pauseWhileCircuitOpen((listener) => client.onCircuitChange(listener), runtime);
  metrics.circuitState({ api: definition.api }, 'closed');

  let consumingNow = false;
  readiness.add('schema-registry', () => ({
    ok: codec.isReady(),
    detail: codec.isReady() ? 'ready' : 'waiting for the registry',
  }));
  readiness.add('consumer', () => ({
    ok: consumingNow,
    detail: consumingNow ? (runtime.paused ? 'paused (circuit open)' : 'consuming') : 'starting',
  }));
  readiness.add(
    'circuit',
    () => ({ ok: client.breaker?.state !== 'open', detail: client.breaker?.state ?? 'none' }),
    // An open circuit is the API's outage, not ours: restarting us would not help.
    { critical: false },
  );
  readiness.add(
    'call-ledger',
    () => {
      const stats = ledger.stats;
      return {
        ok: true,
        detail: `buffered ${stats.buffered}, published ${stats.published}, dropped ${stats.dropped}`,
      };
    },
    { critical: false },
  );

  for (const { view, table } of tables) {
    readiness.add(`view:${view.name}`, () => {
      const stats = table.stats;
      return {
        ok: table.healthy,
        detail: `${stats.caughtUp ? 'caught up' : 'catching up'}: ${stats.rows} rows, ${stats.recordsReadToCatchUp} records read to catch up${stats.resumed ? ' (resumed from the local file)' : ''}, ${stats.recordsRead} since start`,
      };
    });
  }

  const address = await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ address, groupId, api: definition.api }, `${definition.name} listening`);

  const waitAbort = new AbortController();
  const consuming = (async () => {
    await codec.waitUntilReady({
      timeoutMs: 24 * 60 * 60 * 1000,
      signal: waitAbort.signal,
      onWaiting: ({ attempt }) => {
        if (attempt === 1 || attempt % 10 === 0)
          logger.warn({ attempt }, 'waiting for the schema registry');
      },
    });
    // Topics (ours, and the runtime's retry and dead-letter topics) before joining the group.
    // Retried while the broker answers with transient errors (metadata still propagating).
    await retryTransient(waitAbort.signal, logger, async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureTopicSpecs(
          admin,
          topicSpecs(
            definition.topics(config),
            config.CALL_LEDGER_TOPIC,
            Object.values(publishes),
            tables.map((t) => t.view),
          ),
          { replicationFactor: config.KAFKA_REPLICATION_FACTOR },
        );
        const policy = runtime.retryPolicy;
        await ensureRuntimeTopics(admin, definition.topics(config), [
          ...policy.tiers.map((tier) => tier.topic),
          policy.deadLetterTopic,
        ]);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    });
    // Views first: a handler that looks a row up must see every row that was on the topic.
    await Promise.all(
      tables.map(({ table }) => retryTransient(waitAbort.signal, logger, () => table.start())),
    );
    ledger.start();
    await publisher?.connect();
    await runtime.start();
    consumingNow = true;
    logger.info({ topics: definition.topics(config), groupId }, 'consuming');
  })();
  consuming.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      waitAbort.abort();
      await app.close().catch(() => undefined);
      await runtime.stop({ deadlineMs: config.SHUTDOWN_DEADLINE_MS });
      await Promise.allSettled(lanes.map((lane) => lane.close()));
      await Promise.allSettled(tables.map(({ table }) => table.stop()));
      await client.close().catch(() => undefined);
      await ledger.stop({ deadlineMs: 5_000 });
      await publisher?.disconnect().catch(() => undefined);
      for (const closer of closers.reverse()) {
        try {
          await closer.close();
        } catch (error) {
          logger.error({ err: error, closer: closer.name }, 'closer failed');
        }
      }
      await codec.close().catch(() => undefined);
      logger.info('stopped');
      await options.telemetry?.shutdown();
    })();
    return stopping;
  };

  return { address, app, readiness, runtime, client, ledger, api, consuming, stop };

  function topicSpecs(
    sources: readonly string[],
    ledgerTopic: string,
    outputs: readonly (string | undefined)[],
    views: readonly GlobalTableView<unknown>[],
  ): TopicSpec[] {
    const byName = new Map(catalog.topics.map((spec) => [spec.name, spec]));
    const specs: TopicSpec[] = [];
    // Source topics outside the catalog (tests) are the producer's to create, not ours.
    for (const name of [...sources, ...outputs]) {
      const spec = name ? byName.get(name) : undefined;
      if (spec) specs.push(spec);
    }
    // A view must catch up before the service is ready, so its topic is created if missing
    // (a fresh system has no user record yet), renamed or not.
    for (const view of views) {
      const spec = byName.get(view.catalogTopic ?? view.topic);
      if (spec) specs.push({ ...spec, name: view.topic });
    }
    const audit = byName.get(AUDIT_TOPIC);
    if (audit) specs.push({ ...audit, name: ledgerTopic });
    return specs;
  }
}

function apiLabels(api: string, attempt: CallAttempt): { api: string; status: number | string } {
  if (attempt.status !== undefined) return { api, status: attempt.status };
  const status =
    attempt.errorCode === 'FANOUT_API_TIMEOUT'
      ? 'timeout'
      : attempt.errorCode === 'FANOUT_API_CIRCUIT_OPEN'
        ? 'circuit_open'
        : 'network_error';
  return { api, status };
}

function wireRuntimeEvents(runtime: ConsumerRuntime, consumerGroup: string, logger: Logger): void {
  const metrics = fanoutMetrics();
  runtime.events.on('processed', (event) =>
    metrics.processingDuration(
      { consumerGroup, topic: event.topic, eventType: event.eventType, outcome: 'success' },
      event.durationMs / 1000,
    ),
  );
  runtime.events.on('retry', (event) => {
    if (event.kind === 'tier')
      metrics.retry({ consumerGroup, topic: event.topic, errorCode: event.code });
  });
  runtime.events.on('dead-letter', (event) => {
    metrics.deadLetter({ consumerGroup, topic: event.topic, errorCode: event.code });
    logger.warn(
      {
        eventId: event.eventId,
        topic: event.topic,
        partition: event.partition,
        offset: event.offset,
        code: event.code,
        reason: event.reason,
        attempts: event.attempts,
      },
      'event dead-lettered',
    );
  });
  runtime.events.on('batch', (batch) => {
    metrics.consumerLag(
      { consumerGroup, topic: batch.topic, partition: batch.partition },
      lagAfterBatch({
        lastOffset: Number(batch.lastOffset),
        highWatermark: Number(batch.highWatermark),
      }),
    );
  });
  runtime.events.on('warning', ({ where, error }) =>
    logger.warn({ err: error, where }, 'consumer runtime warning'),
  );
}

/** Runs `step` again while it fails with a retriable error, with capped backoff, until aborted. */
async function retryTransient(
  signal: AbortSignal,
  logger: Logger,
  step: () => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await step();
      return;
    } catch (error) {
      // A retriable answer wrapped by kafkajs once its own retries ran out (a new topic's
      // metadata still spreading) is transient too.
      const retriable = isTransientKafkaError(error);
      if (!retriable || signal.aborted || attempt >= 30) throw error;
      logger.warn({ err: error, attempt }, 'topics not ready; retrying');
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(5_000, 250 * 2 ** (attempt - 1))),
      );
    }
  }
}
