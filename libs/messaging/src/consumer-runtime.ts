import type { Consumer, Producer } from 'kafkajs';
import { enableAdaptiveFetch } from './adaptive-fetch';
import { BatchPipeline } from './batch-pipeline';
import { StallWatchdog } from './stall-watchdog';
import {
  consumerSettings,
  kafkaConsumerConfig,
  type ConsumerRuntimeOptions,
  type ConsumerSettings,
} from './consumer-options';
import { SqliteDedupeStore, type DedupeStore } from './dedupe-store';
import { wrapKafkaError } from './event-publisher';
import { HandlerInvocation } from './handler-invocation';
import { OffsetCommitter } from './offset-committer';
import { PartitionAssignment } from './partition-assignment';
import { RecordProcessor } from './record-processor';
import { RetryForwarder } from './retry-forwarder';
import { RetryParking } from './retry-parking';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy';
import { RuntimeEvents } from './runtime-events';
import { RuntimeLifecycle, subscribeWithRetry, withinDeadline } from './runtime-lifecycle';
import { ensureRuntimeTopics } from './topic-provisioner';
import { messagingTracer } from './tracing';

export type { ConsumedEvent } from './consumed-event';
export type { ConsumerRuntimeOptions, EventHandler, HandlerContext } from './consumer-options';

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
 *
 * The pieces: BatchPipeline (eachBatch, dispatch and its bounds), RecordProcessor (one record
 * to its outcome), HandlerInvocation, RetryForwarder (retry tiers and dead letters),
 * OffsetCommitter, PartitionAssignment (states per generation, rebalances), RetryParking.
 */
class KafkaConsumerRuntime implements ConsumerRuntime {
  readonly events = new RuntimeEvents();
  readonly retryPolicy: RetryPolicy;
  private readonly options: ConsumerRuntimeOptions;
  private readonly settings: ConsumerSettings;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly dedupe: DedupeStore | null;
  private readonly tracer = messagingTracer();
  private readonly lifecycle = new RuntimeLifecycle();
  private readonly assignment: PartitionAssignment;
  private readonly committer: OffsetCommitter;
  private readonly parking: RetryParking;
  private readonly pipeline: BatchPipeline;
  private stopPromise: Promise<void> | null = null;
  private disableAdaptiveFetch: (() => void) | undefined;
  private watchdog: StallWatchdog | undefined;
  private assigned: ReadonlySet<string> = new Set();

  constructor(options: ConsumerRuntimeOptions) {
    this.options = options;
    if (options.topics.length === 0) throw new RangeError('topics must not be empty');
    this.retryPolicy = compileRetryPolicy(options.groupId, options.retry);
    this.settings = consumerSettings(options, this.retryPolicy);
    const config = kafkaConsumerConfig(options, this.settings);
    this.consumer = options.kafka.consumer(config);
    if (options.idleFetchWaitMs !== undefined) {
      this.disableAdaptiveFetch = enableAdaptiveFetch(options.groupId, {
        busyMinBytes: config.minBytes ?? 1,
        busyMaxWaitMs: config.maxWaitTimeInMs ?? 5_000,
        idleMaxWaitMs: options.idleFetchWaitMs,
      });
    }
    this.producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const dedupe = options.dedupe ?? false;
    this.dedupe =
      dedupe === false
        ? null
        : 'seen' in dedupe
          ? dedupe
          : new SqliteDedupeStore({ ...dedupe, groupId: options.groupId });

    const { events, tracer, lifecycle, dedupe: store } = this;
    this.assignment = new PartitionAssignment(this.settings.perPartition);
    this.committer = new OffsetCommitter({
      consumer: this.consumer,
      assignment: this.assignment,
      dedupe: store,
      beforeCommit: options.beforeCommit,
      events,
    });
    this.parking = new RetryParking(this.consumer, lifecycle);
    const forwarder = new RetryForwarder({
      producer: this.producer,
      groupId: options.groupId,
      tracer,
      events,
      lifecycle,
    });
    const handler = new HandlerInvocation({
      handler: options.handler,
      handlerTimeoutMs: options.handlerTimeoutMs,
      tracer,
      signal: lifecycle.abort.signal,
    });
    const processor = new RecordProcessor({
      options,
      dedupe: store,
      retryPolicy: this.retryPolicy,
      events,
      tracer,
      lifecycle,
      handler,
      forwarder,
    });
    this.pipeline = new BatchPipeline({
      groupId: options.groupId,
      settings: this.settings,
      retryPolicy: this.retryPolicy,
      events,
      tracer,
      lifecycle,
      assignment: this.assignment,
      committer: this.committer,
      processor,
      parking: this.parking,
    });
  }

  get paused(): boolean {
    return this.lifecycle.pausedAll;
  }

  async start(): Promise<void> {
    if (this.lifecycle.phase !== 'new') throw new Error('a consumer runtime starts once');
    this.lifecycle.phase = 'running';
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
      this.assignment.markRebalancing();
      void this.committer.commit();
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.assigned = new Set(
        Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
          partitions.map((p) => `${topic}/${p}`),
        ),
      );
      this.assignment.joined();
      this.events.emit('rebalance', { assignment: event.payload.memberAssignment });
    });
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // A fetch that brought only transaction markers or aborted records never reaches
      // eachBatch; it is reported too (size 0), so the lag gauge stops counting those markers,
      // and it shows the stall watchdog that kafkajs is fetching.
      if (payload.batchSize > 0) return;
      this.pipeline.lastBatchAt = Date.now();
      this.events.emit('batch', {
        topic: payload.topic,
        partition: payload.partition,
        size: 0,
        lastOffset: payload.lastOffset,
        highWatermark: payload.highWatermark,
      });
    });
    this.committer.startTimer(this.settings.commitIntervalMs);
    await subscribeWithRetry(
      this.consumer,
      this.settings.allTopics,
      this.options.fromBeginning ?? true,
    );
    await this.run();
    const stallMs = this.options.stallMs ?? 30_000;
    if (stallMs > 0) {
      this.watchdog = new StallWatchdog({
        kafka: this.options.kafka,
        groupId: this.options.groupId,
        topics: this.options.topics,
        stallMs,
        assigned: () => this.assigned,
        watching: () => this.lifecycle.phase === 'running' && !this.lifecycle.pausedAll,
        activity: () => ({
          running: this.pipeline.running,
          lastBatchAt: this.pipeline.lastBatchAt,
        }),
        restart: (why) => this.restartConsumer(why),
        warn: (where, error) => this.events.emit('warning', { where, error }),
      });
      this.watchdog.start();
    }
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency?.partitions ?? 32,
      eachBatch: (payload) => this.pipeline.onBatch(payload),
    });
  }

  /**
   * Stops the kafkajs run and starts it again on the same consumer (it rejoins and fetches
   * from the committed offsets; what was in flight finishes or is redelivered, as after any
   * rebalance). Pauses are kafkajs state of the run, so they are applied again.
   */
  private async restartConsumer(why: string): Promise<void> {
    this.events.emit('warning', {
      where: 'stall watchdog',
      error: new Error(`consumer stalled (${why}): stopping and running it again`),
    });
    this.assignment.markRebalancing();
    await this.committer.commit();
    await withinDeadline(this.consumer.stop(), 15_000);
    if (this.lifecycle.phase !== 'running') return;
    await this.run();
    if (this.lifecycle.pausedAll)
      this.consumer.pause(this.settings.allTopics.map((topic) => ({ topic })));
    this.parking.pauseParked();
  }

  /** Times the stall watchdog restarted the consumer. */
  get stallRestarts(): number {
    return this.watchdog?.restarts ?? 0;
  }

  pause(): void {
    if (this.lifecycle.pausedAll) return;
    this.lifecycle.pausedAll = true;
    this.assignment.wakeDispatchers();
    this.consumer.pause(this.settings.allTopics.map((topic) => ({ topic })));
    this.events.emit('paused');
  }

  resume(): void {
    if (!this.lifecycle.pausedAll) return;
    this.lifecycle.pausedAll = false;
    this.consumer.resume(this.settings.allTopics.map((topic) => ({ topic })));
    // Retry-tier partitions still waiting for a due time stay paused.
    this.parking.pauseParked();
    this.events.emit('resumed');
  }

  stop(options: { deadlineMs?: number } = {}): Promise<void> {
    this.stopPromise ??= this.doStop(
      options.deadlineMs ?? this.options.shutdownDeadlineMs ?? 15_000,
    );
    return this.stopPromise;
  }

  private async doStop(deadlineMs: number): Promise<void> {
    const lifecycle = this.lifecycle;
    if (lifecycle.phase === 'new') {
      lifecycle.phase = 'stopped';
      this.dedupe?.close();
      return;
    }
    lifecycle.phase = 'stopping';
    this.watchdog?.stop();
    lifecycle.stopDeadline = Date.now() + deadlineMs;
    this.assignment.wakeDispatchers();
    this.parking.clear();
    // Batches notice `stopping` and stop dispatching; in-flight work drains until the deadline;
    // then the abort signal tells handlers still running to give up (their events are
    // redelivered).
    const abortTimer = setTimeout(() => lifecycle.abort.abort(), deadlineMs);
    try {
      await withinDeadline(this.assignment.drainAll(), deadlineMs);
      this.committer.stopTimer();
      await this.committer.commit();
      await this.consumer.disconnect();
      await this.producer.disconnect();
    } finally {
      this.committer.stopTimer();
      clearTimeout(abortTimer);
      this.disableAdaptiveFetch?.();
      this.dedupe?.close();
      lifecycle.phase = 'stopped';
    }
  }
}
