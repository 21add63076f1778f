import { setTimeout as sleep } from 'node:timers/promises';
import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type {
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  IHeaders,
  Kafka,
  KafkaMessage,
  Producer,
} from 'kafkajs';
import { RetriableError, classifyError } from '@fanout/errors';
import { failureHeaders, priorFailure, type FailureRecord } from './dead-letter';
import { SqliteDedupeStore, type DedupeStore } from './dedupe-store';
import type { DecodedEvent, EventCodec } from './event-codec';
import { KeyScheduler } from './key-scheduler';
import {
  Headers,
  headerSetter,
  headerValue,
  kafkaHeaderGetter,
  readHeaders,
} from './message-headers';
import { OffsetTracker } from './offset-tracker';
import {
  compileRetryPolicy,
  type RetryDecision,
  type RetryOptions,
  type RetryPolicy,
} from './retry-policy';
import { RuntimeEvents } from './runtime-events';
import { ensureRuntimeTopics } from './topic-provisioner';
import { wrapKafkaError } from './event-publisher';
import { Attr, messagingTracer } from './tracing';

/** One decoded event as a handler sees it. */
export interface ConsumedEvent<T = unknown> {
  eventId: string;
  eventType: string;
  value: T;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  schemaId: number;
  headers: Readonly<Record<string, string>>;
  /** 1 on the first try; counts every handler attempt, across retry tiers. */
  attempt: number;
  /** 0 for the source topic, n for `<group>.retry.n`. */
  retryTier: number;
  /** Where the event was first consumed (differs from `topic` on a retry tier). */
  originalTopic: string;
}

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
}

export interface ConsumerRuntime {
  readonly events: RuntimeEvents;
  readonly retryPolicy: RetryPolicy;
  start(): Promise<void>;
  /** Stop fetching, finish in-flight work within the deadline, commit, leave the group. */
  stop(options?: { deadlineMs?: number }): Promise<void>;
  /** Stops fetching every partition without leaving the group (e.g. a circuit is open). */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
}

export function createConsumerRuntime(options: ConsumerRuntimeOptions): ConsumerRuntime {
  return new KafkaConsumerRuntime(options);
}

interface PartitionState {
  key: string;
  topic: string;
  partition: number;
  /** The group generation this state belongs to; older states are never committed. */
  generation: number;
  tracker: OffsetTracker;
  scheduler: KeyScheduler;
  committed: number;
  /** Dispatchers waiting for the pending span to shrink below its bound. */
  roomWaiters: Array<() => void>;
}

const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
]);

function isRebalance(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type;
  return type !== undefined && REBALANCE_ERRORS.has(type);
}

const MAX_BATCH_LINKS = 128;

/**
 * The consumer runtime. Delivery contract: at-least-once with per-key order.
 *
 * - eachBatch with autoCommit off: events of a batch are dispatched through a KeyScheduler
 *   (same key in order, distinct keys in parallel, `perPartition` in flight), and only the
 *   contiguous prefix of finished offsets is committed (OffsetTracker), on a timer and before
 *   a revoke or shutdown. A crash anywhere redelivers, never skips.
 * - Fetching is pipelined: once a batch is dispatched, eachBatch resolves the fetch position
 *   past the last dispatched record and returns while its events are still in flight, so the
 *   next fetch overlaps them (kafkajs fetches a broker's partitions only after every batch of
 *   the previous fetch returned). Two bounds hold dispatch back: `perPartition` events in
 *   flight, and `maxPendingPerPartition` offsets not yet committable. A timer heartbeats while
 *   a dispatcher waits, so long handlers do not cost the group membership.
 * - On a rebalance (seen by heartbeat or commit) or shutdown, dispatch stops, in-flight work
 *   may finish within `revokeDrainMs` (or the shutdown deadline) and the prefix is committed.
 *   After a rejoin, a partition's first batch waits for its previous in-flight work before it
 *   dispatches, so a redelivered event never overtakes its own earlier run. Whatever was not
 *   committed is redelivered to the next owner.
 * - Retry-tier records wait for their due time by pausing only their partition.
 */
class KafkaConsumerRuntime implements ConsumerRuntime {
  readonly events = new RuntimeEvents();
  readonly retryPolicy: RetryPolicy;
  private readonly options: ConsumerRuntimeOptions;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly dedupe: DedupeStore | null;
  private readonly tracer = messagingTracer();
  private readonly perPartition: number;
  private readonly commitIntervalMs: number;
  private readonly revokeDrainMs: number;
  private readonly heartbeatEveryMs: number;
  private readonly allTopics: string[];
  private readonly maxPending: number;
  private readonly states = new Map<string, PartitionState>();
  private readonly parked = new Map<string, NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopDeadline = Infinity;
  private pausedAll = false;
  private stopPromise: Promise<void> | null = null;
  /** Bumped at every group join; states of older generations are never committed. */
  private generation = 0;
  /** A heartbeat or commit saw the group rebalancing; cleared by the next join. */
  private rebalancing = false;
  private commitTimer: NodeJS.Timeout | undefined;
  /** The commit in flight, if any; a request meanwhile sets `commitAgain`. */
  private committing: Promise<boolean> | null = null;
  private commitAgain = false;

  constructor(options: ConsumerRuntimeOptions) {
    this.options = options;
    if (options.topics.length === 0) throw new RangeError('topics must not be empty');
    this.retryPolicy = compileRetryPolicy(options.groupId, options.retry);
    this.perPartition = options.concurrency?.perPartition ?? 50;
    this.maxPending =
      options.concurrency?.maxPendingPerPartition ?? Math.max(1_000, 20 * this.perPartition);
    if (this.maxPending < this.perPartition) {
      throw new RangeError('maxPendingPerPartition must be at least perPartition');
    }
    this.commitIntervalMs = options.commitIntervalMs ?? 1_000;
    this.revokeDrainMs = options.revokeDrainMs ?? 10_000;
    const heartbeatInterval = options.consumer?.heartbeatInterval ?? 3_000;
    this.heartbeatEveryMs = Math.max(100, Math.floor(heartbeatInterval / 2));
    this.allTopics = [...options.topics, ...this.retryPolicy.tiers.map((tier) => tier.topic)];
    this.consumer = options.kafka.consumer({
      maxWaitTimeInMs: 500,
      ...options.consumer,
      heartbeatInterval,
      groupId: options.groupId,
    });
    this.producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const dedupe = options.dedupe ?? false;
    this.dedupe =
      dedupe === false
        ? null
        : 'seen' in dedupe
          ? dedupe
          : new SqliteDedupeStore({ ...dedupe, groupId: options.groupId });
  }

  get paused(): boolean {
    return this.pausedAll;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('a consumer runtime starts once');
    this.state = 'running';
    try {
      const admin = this.options.kafka.admin();
      await admin.connect();
      try {
        await ensureRuntimeTopics(
          admin,
          this.options.topics,
          [...this.retryPolicy.tiers.map((tier) => tier.topic), this.retryPolicy.deadLetterTopic],
          this.options.retryTopicPartitions,
        );
      } finally {
        await admin.disconnect();
      }
      await this.producer.connect();
      await this.consumer.connect();
    } catch (error) {
      throw wrapKafkaError(
        error,
        'consumer runtime could not start',
        'FANOUT_CONSUMER_START_FAILED',
      );
    }
    this.consumer.on(this.consumer.events.REBALANCING, () => {
      // kafkajs is rejoining: stop dispatching, and commit what finished while the old
      // generation may still commit.
      this.markRebalancing();
      void this.commit();
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      // A new generation: kafkajs refetches every partition from its committed offset, so our
      // trackers start over. Old states stay until their partition's next batch (which first
      // waits for their in-flight work) and are never committed again.
      this.generation += 1;
      this.rebalancing = false;
      for (const [key, state] of this.states) {
        if (state.scheduler.inFlight === 0) this.states.delete(key);
      }
      this.events.emit('rebalance', { assignment: event.payload.memberAssignment });
    });
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // A fetch that brought only transaction markers or aborted records never reaches
      // eachBatch; it is reported too (size 0), so the lag gauge stops counting those markers.
      if (payload.batchSize > 0) return;
      this.events.emit('batch', {
        topic: payload.topic,
        partition: payload.partition,
        size: 0,
        lastOffset: payload.lastOffset,
        highWatermark: payload.highWatermark,
      });
    });
    this.commitTimer = setInterval(() => void this.commit(), this.commitIntervalMs);
    this.commitTimer.unref();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.consumer.subscribe({
          topics: this.allTopics,
          fromBeginning: this.options.fromBeginning ?? true,
        });
        break;
      } catch (error) {
        // On a multi-broker KRaft cluster, a topic created moments ago (here or by a sibling
        // service) is missing from some broker's metadata for a few seconds ("does not host this
        // topic-partition", retriable): wait it out instead of failing the service's start.
        if ((error as { retriable?: unknown }).retriable !== true || attempt >= 10) throw error;
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency?.partitions ?? 32,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  pause(): void {
    if (this.pausedAll) return;
    this.pausedAll = true;
    this.wakeDispatchers();
    this.consumer.pause(this.allTopics.map((topic) => ({ topic })));
    this.events.emit('paused');
  }

  resume(): void {
    if (!this.pausedAll) return;
    this.pausedAll = false;
    this.consumer.resume(this.allTopics.map((topic) => ({ topic })));
    // Retry-tier partitions still waiting for a due time stay paused.
    for (const key of this.parked.keys()) {
      const [topic, partition] = splitKey(key);
      this.consumer.pause([{ topic, partitions: [partition] }]);
    }
    this.events.emit('resumed');
  }

  stop(options: { deadlineMs?: number } = {}): Promise<void> {
    this.stopPromise ??= this.doStop(
      options.deadlineMs ?? this.options.shutdownDeadlineMs ?? 15_000,
    );
    return this.stopPromise;
  }

  private async doStop(deadlineMs: number): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      this.dedupe?.close();
      return;
    }
    this.state = 'stopping';
    this.stopDeadline = Date.now() + deadlineMs;
    this.wakeDispatchers();
    for (const timer of this.parked.values()) clearTimeout(timer);
    this.parked.clear();
    // Batches notice `stopping` and stop dispatching; in-flight work drains until the deadline;
    // then the abort signal tells handlers still running to give up (their events are
    // redelivered).
    const abortTimer = setTimeout(() => this.abort.abort(), deadlineMs);
    try {
      await withinDeadline(
        Promise.all([...this.states.values()].map((s) => s.scheduler.drain())),
        deadlineMs,
      );
      clearInterval(this.commitTimer);
      await this.commit();
      await this.consumer.disconnect();
      await this.producer.disconnect();
    } finally {
      clearInterval(this.commitTimer);
      clearTimeout(abortTimer);
      this.dedupe?.close();
      this.state = 'stopped';
    }
  }

  private newPartitionState(topic: string, partition: number): PartitionState {
    const state: PartitionState = {
      key: `${topic}\u0000${partition}`,
      topic,
      partition,
      generation: this.generation,
      tracker: new OffsetTracker(),
      scheduler: new KeyScheduler(this.perPartition),
      committed: -1,
      roomWaiters: [],
    };
    this.states.set(state.key, state);
    return state;
  }

  /** True while dispatch may go on (not stopping, paused or rebalancing). */
  private dispatching(): boolean {
    return this.state === 'running' && !this.pausedAll && !this.rebalancing;
  }

  /** Releases dispatchers waiting for room, so they notice a stop, pause or rebalance. */
  private wakeDispatchers(): void {
    for (const state of this.states.values()) {
      const waiters = state.roomWaiters;
      state.roomWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const tier = this.retryPolicy.tierOf(topic);

    let rebalanced = false;
    const beat = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        if (isRebalance(error)) this.markRebalancing();
      });
    }, this.heartbeatEveryMs);
    const batchSpan = this.batchSpan(topic, partition, batch.messages);
    let dueAt: number | null = null;
    let lastDispatched: string | null = null;
    let state: PartitionState | undefined;
    try {
      const key = `${topic}\u0000${partition}`;
      state = this.states.get(key);
      const firstOffset = Number(batch.messages[0]!.offset);
      if (
        state &&
        (state.generation !== this.generation || firstOffset <= state.tracker.highestBegun)
      ) {
        // A rejoin or a rewind refetches from the committed offset. What this partition still
        // has in flight finishes first, so a redelivered event cannot overtake its own earlier
        // run (per-key order); its outcome is then known to the dedupe lookup below.
        const previous = state;
        await withinDeadline(previous.scheduler.drain(), this.revokeDrainMs);
        if (previous.generation === this.generation) await this.commit();
        if (this.states.get(key) === previous) this.states.delete(key);
        state = undefined;
      }
      state ??= this.newPartitionState(topic, partition);
      this.events.emit('batch', {
        topic,
        partition,
        size: batch.messages.length,
        lastOffset: batch.lastOffset(),
        highWatermark: batch.highWatermark,
      });
      const known = this.knownEventIds(batch.messages);
      const owner = state;
      for (const message of batch.messages) {
        if (!this.dispatching() || !isRunning() || isStale()) break;
        if (tier > 0) {
          const due = Number(message.headers?.[Headers.retryDueAt]?.toString() ?? 0);
          if (due > Date.now()) {
            dueAt = due;
            break;
          }
        }
        if (owner.tracker.pending >= this.maxPending) {
          await this.roomFor(owner);
          if (!this.dispatching() || !isRunning() || isStale()) break;
        }
        const offset = Number(message.offset);
        owner.tracker.begin(offset);
        lastDispatched = message.offset;
        const messageKey = message.key ? message.key.toString('latin1') : '';
        await owner.scheduler.submit(messageKey, () =>
          this.runToOutcome(owner, topic, partition, tier, message, known, offset),
        );
      }
    } finally {
      // The next fetch of this partition starts after the last dispatched record; records not
      // dispatched (stop, pause, rebalance, a retry record not yet due) are fetched again.
      if (lastDispatched !== null) resolveOffset(lastDispatched);
      batchSpan?.end();
    }
    try {
      if (this.state !== 'running' || this.rebalancing) {
        // Before a revoke or shutdown, in-flight work gets its chance to finish and the commit
        // must land while we still own the partition; kafkajs rejoins only after we return.
        const limit =
          this.state !== 'running' ? this.stopDeadline - Date.now() : this.revokeDrainMs;
        await withinDeadline(state ? state.scheduler.drain() : Promise.resolve(), limit);
        await this.commit();
        rebalanced = true;
      }
    } finally {
      clearInterval(beat);
    }
    if (!rebalanced && this.state === 'running') {
      // Our heartbeat first: should the group be rebalancing, we drain and commit before kafkajs
      // (whose own heartbeat after this batch is then throttled) rejoins.
      await heartbeat().catch(async (error: unknown) => {
        if (!isRebalance(error)) return;
        this.markRebalancing();
        await withinDeadline(
          state ? state.scheduler.drain() : Promise.resolve(),
          this.revokeDrainMs,
        );
        await this.commit();
      });
    }
    if (dueAt !== null && this.state === 'running') this.park(topic, partition, dueAt);
  }

  private markRebalancing(): void {
    if (this.rebalancing) return;
    this.rebalancing = true;
    this.wakeDispatchers();
  }

  /** Waits until the partition's pending span is below its bound, or dispatch must stop. */
  private roomFor(state: PartitionState): Promise<void> {
    if (state.tracker.pending < this.maxPending || !this.dispatching()) return Promise.resolve();
    return new Promise<void>((resolve) => state.roomWaiters.push(resolve));
  }

  /**
   * Runs one record to its final outcome and marks its offset finished. An unexpected failure
   * of the runtime itself (not of the handler, which processMessage handles) is retried with
   * backoff rather than skipped: the offset must not become committable unhandled, and later
   * events of the key must not overtake it. Shutdown's abort ends the retries; the record is
   * then redelivered.
   */
  private async runToOutcome(
    owner: PartitionState,
    topic: string,
    partition: number,
    tier: number,
    message: KafkaMessage,
    known: Set<string> | null,
    offset: number,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const finished = await this.processMessage(topic, partition, tier, message, known);
        if (finished) {
          owner.tracker.complete(offset);
          if (owner.roomWaiters.length > 0 && owner.tracker.pending < this.maxPending) {
            const waiters = owner.roomWaiters;
            owner.roomWaiters = [];
            for (const wake of waiters) wake();
          }
        }
        return;
      } catch (error) {
        this.events.emit('warning', { where: 'process', error });
        if (this.abort.signal.aborted || this.state === 'stopped') return;
        await sleep(Math.min(5_000, 100 * 2 ** attempt), undefined, {
          signal: this.abort.signal,
        }).catch(() => undefined);
        if (this.abort.signal.aborted) return;
      }
    }
  }

  /**
   * Commits the finished prefix of every partition of the current generation in one request,
   * one commit in flight at a time (a request meanwhile is folded into one more round).
   * Resolves false when the group is rebalancing or the commit failed.
   */
  private commit(): Promise<boolean> {
    if (this.committing) {
      this.commitAgain = true;
      return this.committing;
    }
    const run = async (): Promise<boolean> => {
      let ok = true;
      try {
        do {
          this.commitAgain = false;
          ok = await this.commitOnce();
        } while (ok && this.commitAgain);
      } finally {
        this.committing = null;
      }
      return ok;
    };
    this.committing = run();
    return this.committing;
  }

  private async commitOnce(): Promise<boolean> {
    // The offsets are chosen first: everything their events did (dedupe ids, whatever the
    // beforeCommit hook flushes) happened before this point.
    const due: Array<{ state: PartitionState; next: number }> = [];
    for (const [key, state] of this.states) {
      // After a rebalance this partition may belong to another member: never commit an older
      // generation's state (it could move that member's committed offset backwards).
      if (state.generation !== this.generation) {
        if (state.scheduler.inFlight === 0) this.states.delete(key);
        continue;
      }
      const next = state.tracker.committable();
      if (next !== null && next > state.committed) due.push({ state, next });
    }
    if (due.length === 0) return true;
    try {
      // Ids of handled events become durable before the offsets that skip them.
      this.dedupe?.flush();
      await this.options.beforeCommit?.();
    } catch (error) {
      this.events.emit('warning', { where: 'before commit', error });
      return false;
    }
    const generation = this.generation;
    try {
      await this.consumer.commitOffsets(
        due.map(({ state, next }) => ({
          topic: state.topic,
          partition: state.partition,
          offset: String(next),
        })),
      );
    } catch (error) {
      this.events.emit('warning', { where: 'commit', error });
      if (isRebalance(error)) this.markRebalancing();
      return false;
    }
    if (generation !== this.generation) return true;
    for (const { state, next } of due) {
      state.committed = Math.max(state.committed, next);
      this.events.emit('commit', {
        topic: state.topic,
        partition: state.partition,
        offset: String(next),
      });
    }
    return true;
  }

  /** Pauses one retry-tier partition until its head record is due. */
  private park(topic: string, partition: number, dueAt: number): void {
    const key = `${topic}\u0000${partition}`;
    if (this.parked.has(key)) return;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(
      () => {
        this.parked.delete(key);
        if (this.state === 'running' && !this.pausedAll) {
          this.consumer.resume([{ topic, partitions: [partition] }]);
        }
      },
      Math.max(0, dueAt - Date.now()) + 5,
    );
    this.parked.set(key, timer);
  }

  /** Event ids of a batch already handled, looked up at once (null without dedupe). */
  private knownEventIds(messages: KafkaMessage[]): Set<string> | null {
    if (!this.dedupe) return null;
    const ids: string[] = [];
    for (const message of messages) {
      const id = message.headers?.[Headers.messageId];
      if (id) ids.push(id.toString());
    }
    return this.dedupe.seenMany(ids);
  }

  private batchSpan(topic: string, partition: number, messages: KafkaMessage[]): Span | null {
    if (messages.length < 2) return null;
    const span = this.tracer.startSpan(`receive ${topic}`, {
      kind: SpanKind.CONSUMER,
      attributes: {
        [Attr.system]: 'kafka',
        [Attr.destination]: topic,
        [Attr.partition]: String(partition),
        [Attr.operationType]: 'receive',
        [Attr.operationName]: 'receive',
        [Attr.consumerGroup]: this.options.groupId,
        [Attr.batchCount]: messages.length,
      },
    });
    // Links cost a trace-context parse per record: only for a span that is recorded.
    if (span.isRecording()) {
      const links: Link[] = [];
      for (let i = 0; i < messages.length && i < MAX_BATCH_LINKS; i += 1) {
        const parent = trace.getSpanContext(
          propagation.extract(ROOT_CONTEXT, messages[i]!.headers ?? {}, kafkaHeaderGetter),
        );
        if (parent) links.push({ context: parent });
      }
      span.addLinks(links);
    }
    return span;
  }

  /**
   * Handles one record to a final outcome: handled (or a known duplicate), forwarded to a
   * retry tier, or dead-lettered. Returns false only when shutdown interrupted it, so the
   * offset stays uncommitted and the record is redelivered.
   */
  private async processMessage(
    topic: string,
    partition: number,
    tier: number,
    message: KafkaMessage,
    known: Set<string> | null,
  ): Promise<boolean> {
    const raw = message.headers ?? NO_HEADERS;
    const parent = propagation.extract(ROOT_CONTEXT, raw, kafkaHeaderGetter);
    const where = { topic, partition, offset: message.offset };
    const key = message.key ? message.key.toString('utf8') : null;
    let eventId = headerValue(raw, Headers.messageId) ?? '';
    const span = this.tracer.startSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { [Attr.system]: 'kafka', [Attr.destination]: topic },
      },
      parent,
    );
    // Attributes cost allocations on every event: only build them for a recorded span.
    if (span.isRecording()) {
      span.setAttributes({
        [Attr.partition]: String(partition),
        [Attr.offset]: Number(message.offset),
        [Attr.operationType]: 'process',
        [Attr.operationName]: 'process',
        [Attr.consumerGroup]: this.options.groupId,
        [Attr.messageId]: eventId,
        [Attr.retryTier]: tier,
        ...(key === null ? {} : { [Attr.key]: key }),
      });
    }
    const spanContext = trace.setSpan(parent, span);
    // Only records of a retry tier carry a failure history: decode every header only then.
    const prior = priorFailure(
      raw[Headers.originalTopic] === undefined ? NO_STRING_HEADERS : readHeaders(raw),
      topic,
      partition,
      message.offset,
    );
    const started = performance.now();
    try {
      if (eventId && (known ? known.has(eventId) : this.dedupe?.seen(eventId))) {
        span.setAttribute('fanout.duplicate', true);
        this.events.emit('duplicate', { ...where, eventId });
        return true;
      }
      let decoded: DecodedEvent | null = null;
      let attempts = prior.attempts;
      let firstFailureAt = prior.firstFailureAt;
      for (let attempt = 1; ; attempt += 1) {
        let poison = false;
        try {
          if (decoded === null) {
            poison = true;
            decoded = await this.options.codec.decode(message.value ?? Buffer.alloc(0));
            poison = false;
            if (!eventId) {
              eventId = eventIdOf(decoded.value) ?? `${topic}/${partition}/${message.offset}`;
              span.setAttribute(Attr.messageId, eventId);
              if (this.dedupe?.seen(eventId)) {
                this.events.emit('duplicate', { ...where, eventId });
                return true;
              }
            }
            if (span.isRecording()) span.setAttribute(Attr.eventType, decoded.eventType);
          }
          const event = new ConsumedRecord(
            eventId,
            decoded,
            key,
            topic,
            partition,
            message.offset,
            raw,
            attempts + 1,
            tier,
            prior.originalTopic,
          );
          await this.runHandler(event, spanContext, attempt);
          this.dedupe?.remember(eventId);
          known?.add(eventId);
          span.setStatus({ code: SpanStatusCode.OK });
          if (this.events.listenerCount('processed') > 0) {
            this.events.emit('processed', {
              ...where,
              eventId,
              eventType: decoded.eventType,
              durationMs: performance.now() - started,
              attempts: attempts + 1,
            });
          }
          return true;
        } catch (error) {
          if (this.abort.signal.aborted) return false;
          const failure = classifyError(error);
          attempts += 1;
          const now = Date.now();
          firstFailureAt ??= now;
          span.addEvent('attempt failed', {
            [Attr.attempt]: attempts,
            [Attr.errorCode]: failure.code,
            'fanout.error.retriable': failure.retriable,
          });
          // Immediate attempts happen on the first delivery only; a tier is one attempt.
          const backoff =
            tier === 0 ? this.retryPolicy.immediateBackoff(attempt, failure.retriable) : null;
          if (backoff !== null) {
            this.events.emit('retry', {
              ...where,
              eventId,
              kind: 'immediate',
              tier,
              attempt: attempts,
              code: failure.code,
            });
            await sleep(backoff, undefined, { signal: this.abort.signal }).catch(() => undefined);
            if (this.abort.signal.aborted) return false;
            continue;
          }
          const decision = this.retryPolicy.next(tier, failure.retriable, now);
          const record: FailureRecord = {
            originalTopic: prior.originalTopic,
            originalPartition: prior.originalPartition,
            originalOffset: prior.originalOffset,
            errorCode: failure.code,
            errorMessage: failure.message,
            retriable: failure.retriable,
            attempts,
            firstFailureAt,
            lastFailureAt: now,
          };
          span.setAttribute(Attr.errorCode, failure.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
          return await this.forward(
            decision,
            message,
            readHeaders(raw),
            record,
            spanContext,
            where,
            eventId,
            poison,
          );
        }
      }
    } finally {
      span.end();
    }
  }

  private async runHandler(event: ConsumedEvent, parent: Context, attempt: number): Promise<void> {
    if (attempt === 1) return this.invoke(event, parent);
    // Later attempts get their own span, so retries show in the trace.
    const span = this.tracer.startSpan(
      `retry ${event.topic}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: { [Attr.attempt]: event.attempt, [Attr.messageId]: event.eventId },
      },
      parent,
    );
    try {
      await this.invoke(event, trace.setSpan(parent, span));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Runs the handler in `parent`'s context, bounded by `handlerTimeoutMs` when set. */
  private invoke(event: ConsumedEvent, parent: Context): Promise<void> {
    const timeoutMs = this.options.handlerTimeoutMs;
    if (!timeoutMs) {
      return otelContext.with(parent, () =>
        this.options.handler(event, { signal: this.abort.signal }),
      );
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([this.abort.signal, timeout]);
    return new Promise<void>((resolve, reject) => {
      const onTimeout = (): void =>
        reject(
          new RetriableError(
            'FANOUT_HANDLER_TIMEOUT',
            `handler did not finish in ${timeoutMs} ms`,
            {
              details: { timeoutMs },
            },
          ),
        );
      timeout.addEventListener('abort', onTimeout, { once: true });
      otelContext
        .with(parent, () => this.options.handler(event, { signal }))
        .then(resolve, reject)
        .finally(() => timeout.removeEventListener('abort', onTimeout));
    });
  }

  /**
   * Sends the record to its retry tier or to the dead-letter topic, and only then reports it
   * finished: the source offset is committed after the copy is durable. A failing broker is
   * retried until it answers or shutdown interrupts (then the source record is redelivered).
   */
  private async forward(
    decision: RetryDecision,
    message: KafkaMessage,
    original: Record<string, string>,
    failure: FailureRecord,
    parent: Context,
    where: { topic: string; partition: number; offset: string },
    eventId: string,
    poison: boolean,
  ): Promise<boolean> {
    const deadLetter = decision.kind === 'dead-letter';
    const target = deadLetter ? decision.topic : decision.tier.topic;
    const reason = deadLetter ? (poison ? 'poison' : decision.reason) : undefined;
    const headers = failureHeaders(original, failure, this.options.groupId, {
      ...(deadLetter ? { reason } : { tier: decision.tier.index, dueAt: decision.dueAt }),
    });
    const span = this.tracer.startSpan(
      `${deadLetter ? 'dead-letter' : 'retry'} ${target}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [Attr.system]: 'kafka',
          [Attr.destination]: target,
          [Attr.operationType]: 'send',
          [Attr.operationName]: 'send',
          [Attr.messageId]: eventId,
          [Attr.errorCode]: failure.errorCode,
          [Attr.attempt]: failure.attempts,
          ...(deadLetter
            ? { 'fanout.dead_letter.reason': reason }
            : { [Attr.retryTier]: decision.tier.index }),
        },
      },
      parent,
    );
    propagation.inject(trace.setSpan(parent, span), headers, headerSetter);
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await this.producer.send({
            topic: target,
            acks: -1,
            messages: [{ key: message.key, value: message.value, headers }],
          });
          break;
        } catch (error) {
          this.events.emit('warning', { where: `forward to ${target}`, error });
          await sleep(Math.min(10_000, 200 * 2 ** attempt), undefined, {
            signal: this.abort.signal,
          }).catch(() => undefined);
          if (this.abort.signal.aborted || this.state === 'stopped') return false;
        }
      }
    } finally {
      span.end();
    }
    if (deadLetter) {
      this.events.emit('dead-letter', {
        ...where,
        eventId,
        code: failure.errorCode,
        reason: reason!,
        attempts: failure.attempts,
      });
    } else {
      this.events.emit('retry', {
        ...where,
        eventId,
        kind: 'tier',
        tier: decision.tier.index,
        attempt: failure.attempts,
        code: failure.errorCode,
      });
    }
    return true;
  }
}

/** Waits for `work`, or for `ms` at most; the timer never outlives the wait. */
async function withinDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const NO_HEADERS: IHeaders = Object.freeze({});
const NO_STRING_HEADERS: Record<string, string> = Object.freeze({});

/** A handled record as the handler sees it; its headers are decoded on first read. */
class ConsumedRecord implements ConsumedEvent {
  readonly eventType: string;
  readonly value: unknown;
  readonly schemaId: number;
  private decodedHeaders: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly eventId: string,
    decoded: DecodedEvent,
    readonly key: string | null,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    private readonly rawHeaders: IHeaders,
    readonly attempt: number,
    readonly retryTier: number,
    readonly originalTopic: string,
  ) {
    this.eventType = decoded.eventType;
    this.value = decoded.value;
    this.schemaId = decoded.schemaId;
  }

  get headers(): Readonly<Record<string, string>> {
    this.decodedHeaders ??= readHeaders(this.rawHeaders);
    return this.decodedHeaders;
  }
}

function eventIdOf(value: unknown): string | null {
  const id = (value as { metadata?: { eventId?: unknown } } | null)?.metadata?.eventId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
