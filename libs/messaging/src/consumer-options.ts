import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { ConsumedEvent } from './consumed-event';
import type { DedupeStore } from './dedupe-store';
import type { EventCodec } from './event-codec';
import type { RetryOptions, RetryPolicy } from './retry-policy';

export interface HandlerContext {
  /** Aborted when shutdown's deadline passes: stop and throw, the event is redelivered. */
  signal: AbortSignal;
}

/**
 * Handles one event. Resolve when its side effect is done; throw a FanoutError whose
 * `retriable` flag says whether trying again can help. Any other thrown value is retriable.
 */
export type EventHandler = (event: ConsumedEvent, context: HandlerContext) => Promise<void>;

export interface ConsumerRuntimeOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  codec: EventCodec;
  handler: EventHandler;
  concurrency?: {
    /** Events in flight per partition (distinct keys run in parallel). Default 50. */
    perPartition?: number;
    /** Partitions processed at once by this instance. Default 32. */
    partitions?: number;
    /**
     * Offsets of one partition dispatched but not yet committable (a slow event holds back the
     * finished ones after it). Dispatch waits at this bound, so redelivery after a crash stays
     * bounded. Default 20 × perPartition, at least 1,000.
     */
    maxPendingPerPartition?: number;
  };
  retry?: RetryOptions;
  /**
   * Dedupe of redeliveries by eventId: a store, or `{ dataDir }` for a SQLite file per group
   * under that folder, or false to rely on the downstream Idempotency-Key alone.
   */
  dedupe?: DedupeStore | { dataDir: string; maxEntries?: number; maxAgeMs?: number } | false;
  /** How often finished offsets are committed. Default 1 s. */
  commitIntervalMs?: number;
  /**
   * Runs before every offset commit and must resolve first; a rejection skips that commit (it is
   * tried again at the next interval). The offsets to commit are chosen before it is called, so
   * whatever their events recorded before finishing (e.g. audit records buffered for a batched
   * publish) is covered by a hook that flushes what was recorded up to the call.
   */
  beforeCommit?: () => Promise<void>;
  /** How long in-flight work of a revoked partition may finish before we give it up. */
  revokeDrainMs?: number;
  /**
   * Bound of one handler attempt; past it the attempt counts as a retriable failure
   * (FANOUT_HANDLER_TIMEOUT) and `signal` is aborted. Off by default: the downstream client's
   * own timeouts usually bound a handler. A handler that ignores the signal keeps running.
   */
  handlerTimeoutMs?: number;
  /** Default deadline of `stop()`. Default 15 s. */
  shutdownDeadlineMs?: number;
  /** Where a new group starts. Default true: a new consumer group misses no event. */
  fromBeginning?: boolean;
  /** Partitions of the retry and dead-letter topics; default: the widest source topic. */
  retryTopicPartitions?: number;
  /** kafkajs consumer settings (session timeout, fetch sizes…); groupId is ours. */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
  /**
   * Adaptive fetch: after a fetch that returned no record, the next one is a long poll of this
   * many ms that the broker answers at the first record (min bytes 1); while records come,
   * fetches use `consumer.minBytes` / `consumer.maxWaitTimeInMs`. Off when unset.
   */
  idleFetchWaitMs?: number;
  /**
   * The stall watchdog's look interval: a consumer that kafkajs stopped feeding (no batch for
   * this long while records wait on its partitions, not paused) is stopped and run again.
   * Default 30 s; 0 turns it off.
   */
  stallMs?: number;
}

/** The options with their defaults applied, as the runtime's pieces read them. */
export interface ConsumerSettings {
  perPartition: number;
  maxPending: number;
  commitIntervalMs: number;
  revokeDrainMs: number;
  heartbeatInterval: number;
  /** How often a batch heartbeats while its dispatcher waits. */
  heartbeatEveryMs: number;
  /** The source topics, then every retry tier's topic. */
  allTopics: string[];
}

export function consumerSettings(
  options: ConsumerRuntimeOptions,
  retryPolicy: RetryPolicy,
): ConsumerSettings {
  const perPartition = options.concurrency?.perPartition ?? 50;
  const maxPending =
    options.concurrency?.maxPendingPerPartition ?? Math.max(1_000, 20 * perPartition);
  if (maxPending < perPartition) {
    throw new RangeError('maxPendingPerPartition must be at least perPartition');
  }
  const commitIntervalMs = options.commitIntervalMs ?? 1_000;
  const revokeDrainMs = options.revokeDrainMs ?? 10_000;
  const heartbeatInterval = options.consumer?.heartbeatInterval ?? 3_000;
  const heartbeatEveryMs = Math.max(100, Math.floor(heartbeatInterval / 2));
  const allTopics = [...options.topics, ...retryPolicy.tiers.map((tier) => tier.topic)];
  return {
    perPartition,
    maxPending,
    commitIntervalMs,
    revokeDrainMs,
    heartbeatInterval,
    heartbeatEveryMs,
    allTopics,
  };
}

/** The kafkajs consumer config: the caller's settings, with our heartbeat and group id. */
export function kafkaConsumerConfig(
  options: ConsumerRuntimeOptions,
  settings: ConsumerSettings,
): ConsumerConfig {
  return {
    maxWaitTimeInMs: 500,
    ...options.consumer,
    heartbeatInterval: settings.heartbeatInterval,
    groupId: options.groupId,
  };
}
