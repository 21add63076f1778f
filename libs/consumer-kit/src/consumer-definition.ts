import type { EventType, EventTypes } from '@fanout/contracts';
import type { DownstreamClient } from '@fanout/downstream';
import type { ConsumedEvent } from '@fanout/messaging';
import type { GlobalTable, GlobalTableOptions } from '@fanout/service-kit';
import type { Logger } from '@fanout/telemetry';
import type { BulkLane, BulkLaneOptions } from './bulk-lane';
import type { ConsumerConfig, ConsumerServiceEnv } from './consumer-env';

/** What a handler gets besides the event's payload. */
export interface ConsumerContext<A> {
  /** What the service's `createApi` built: the API client, its bulk lanes, its stores. */
  api: A;
  /** The envelope: eventId, key, topic, attempt, headers. */
  event: ConsumedEvent;
  /** `idempotencyKey(eventId, action)`: the same key on every redelivery of this event. */
  idempotencyKey(action: string): string;
  /**
   * Publishes an event caused by this one (a saga participant's reply): metadata is filled in
   * (correlation carried on, this event as the cause, and an eventId derived from this event's
   * and the type, so a redelivery republishes the same event), the key comes from the catalog.
   * One event of each type per handled event; the type must be in the service's `publishes`.
   */
  publish<K extends EventType>(
    eventType: K,
    payload: Omit<EventTypes[K], 'metadata'>,
  ): Promise<void>;
  /** Aborted when shutdown's deadline passes: give up, the event is redelivered. */
  signal: AbortSignal;
  logger: Logger;
}

export type ConsumerHandler<K extends EventType, A> = (
  payload: EventTypes[K],
  context: ConsumerContext<A>,
) => Promise<void>;

/** Event type → what to do with it. Event types on the topics without a handler are skipped. */
export type ConsumerHandlers<A> = { [K in EventType]?: ConsumerHandler<K, A> };

/** Helpers `createApi` may use; what they create is closed on shutdown. */
export interface ApiTools<C extends ConsumerServiceEnv> {
  config: ConsumerConfig<C>;
  logger: Logger;
  /** A bulk lane bounded by BATCH_MAX_SIZE and BATCH_LINGER_MS unless given. */
  bulkLane<I, R>(
    options: Pick<BulkLaneOptions<I, R>, 'send'> & Partial<BulkLaneOptions<I, R>>,
  ): BulkLane<I, R>;
  /** Runs on shutdown, after consumption stopped (close a store, a file...). */
  onClose(close: () => void | Promise<void>): void;
  /**
   * Declares a view: a global table of a compacted table topic (e.g. fanout.user.contacts),
   * read whole by every instance into a local SQLite file under DATA_DIR and kept up to date.
   * The service consumes only once each view caught up; /readyz reports each view.
   */
  globalTable<R>(view: GlobalTableView<R>): GlobalTable<R>;
}

/** What a consumer declares of a view; the kit supplies Kafka, the codec, the file, the logs. */
export type GlobalTableView<R> = Pick<GlobalTableOptions<R>, 'name' | 'topic' | 'project'> & {
  /**
   * The catalog topic the view reads, when `topic` is a renamed copy of it (tests, benchmarks):
   * the service creates a missing view topic with that topic's spec, so it never waits for a
   * producer's first record to become ready. Default: `topic` itself.
   */
  catalogTopic?: string;
};

/**
 * Everything that makes one consumer service: its name, its config, the API it calls, and the
 * mapping from events to calls. The consumer kit does the rest.
 */
export interface ConsumerDefinition<C extends ConsumerServiceEnv, A> {
  /** Service name: Kafka client id, logs, telemetry, the ledger's `service`. */
  name: string;
  /** Short API name for the client, breaker, metrics and ledger, e.g. `crm`. */
  api: string;
  /** The service's one validated read of the environment (its config.ts). */
  loadConfig(env: NodeJS.ProcessEnv): ConsumerConfig<C>;
  /** The topics to consume. */
  topics(config: ConsumerConfig<C>): string[];
  /** Event types this service publishes (participants' replies), with their topic. */
  publishes?(config: ConsumerConfig<C>): Partial<Record<EventType, string>>;
  /** Builds what handlers call, from the configured downstream client. */
  createApi(client: DownstreamClient, tools: ApiTools<C>): A;
  handlers: ConsumerHandlers<A>;
}

/** Identity, for type inference at the definition site. */
export function defineConsumer<C extends ConsumerServiceEnv, A>(
  definition: ConsumerDefinition<C, A>,
): ConsumerDefinition<C, A> {
  return definition;
}
