import { setTimeout as sleep } from 'node:timers/promises';
import type { Tracer } from '@opentelemetry/api';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { ConsumerSettings } from './consumer-options';
import { startBatchSpan } from './consumer-spans';
import type { OffsetCommitter } from './offset-committer';
import {
  isRebalance,
  partitionKey,
  wakeRoomWaiters,
  type PartitionAssignment,
  type PartitionState,
} from './partition-assignment';
import type { RecordProcessor } from './record-processor';
import type { RetryPolicy } from './retry-policy';
import { retryDueAt, type RetryParking } from './retry-parking';
import type { RuntimeEvents } from './runtime-events';
import { withinDeadline, type RuntimeLifecycle } from './runtime-lifecycle';

export interface BatchPipelineDeps {
  groupId: string;
  settings: ConsumerSettings;
  retryPolicy: RetryPolicy;
  events: RuntimeEvents;
  tracer: Tracer;
  lifecycle: RuntimeLifecycle;
  assignment: PartitionAssignment;
  committer: OffsetCommitter;
  processor: RecordProcessor;
  parking: RetryParking;
}

/**
 * kafkajs's eachBatch: dispatches a batch's records through the partition's KeyScheduler and
 * returns while they are still in flight, so the next fetch overlaps them (see the runtime).
 */
export class BatchPipeline {
  /** Batches in onBatch now, and when the last one began (the stall watchdog reads them). */
  running = 0;
  lastBatchAt = 0;

  constructor(private readonly deps: BatchPipelineDeps) {}

  /** True while dispatch may go on (not stopping, paused or rebalancing). */
  dispatching(): boolean {
    const { lifecycle, assignment } = this.deps;
    return lifecycle.phase === 'running' && !lifecycle.pausedAll && !assignment.rebalancing;
  }

  async onBatch(payload: EachBatchPayload): Promise<void> {
    this.running += 1;
    this.lastBatchAt = Date.now();
    try {
      await this.handleBatch(payload);
    } finally {
      this.running -= 1;
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { assignment, committer, events, lifecycle, settings } = this.deps;
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const tier = this.deps.retryPolicy.tierOf(topic);

    let rebalanced = false;
    const beat = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        if (isRebalance(error)) assignment.markRebalancing();
      });
    }, settings.heartbeatEveryMs);
    const batchSpan = startBatchSpan(
      this.deps.tracer,
      this.deps.groupId,
      topic,
      partition,
      batch.messages,
    );
    let dueAt: number | null = null;
    let lastDispatched: string | null = null;
    let state: PartitionState | undefined;
    try {
      const key = partitionKey(topic, partition);
      state = assignment.states.get(key);
      const firstOffset = Number(batch.messages[0]!.offset);
      if (
        state &&
        (state.generation !== assignment.generation || firstOffset <= state.tracker.highestBegun)
      ) {
        // A rejoin or a rewind refetches from the committed offset. What this partition still
        // has in flight finishes first, so a redelivered event cannot overtake its own earlier
        // run (per-key order); its outcome is then known to the dedupe lookup below.
        const previous = state;
        await withinDeadline(previous.scheduler.drain(), settings.revokeDrainMs);
        if (previous.generation === assignment.generation) await committer.commit();
        if (assignment.states.get(key) === previous) assignment.states.delete(key);
        state = undefined;
      }
      state ??= assignment.create(topic, partition);
      events.emit('batch', {
        topic,
        partition,
        size: batch.messages.length,
        lastOffset: batch.lastOffset(),
        highWatermark: batch.highWatermark,
      });
      const known = this.deps.processor.knownEventIds(batch.messages);
      const owner = state;
      for (const message of batch.messages) {
        if (!this.dispatching() || !isRunning() || isStale()) break;
        if (tier > 0) {
          const due = retryDueAt(message);
          if (due > Date.now()) {
            dueAt = due;
            break;
          }
        }
        if (owner.tracker.pending >= settings.maxPending) {
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
      if (lifecycle.phase !== 'running' || assignment.rebalancing) {
        // Before a revoke or shutdown, in-flight work gets its chance to finish and the commit
        // must land while we still own the partition; kafkajs rejoins only after we return.
        const limit =
          lifecycle.phase !== 'running'
            ? lifecycle.stopDeadline - Date.now()
            : settings.revokeDrainMs;
        await withinDeadline(state ? state.scheduler.drain() : Promise.resolve(), limit);
        await committer.commit();
        rebalanced = true;
      }
    } finally {
      clearInterval(beat);
    }
    if (!rebalanced && lifecycle.phase === 'running') {
      // Our heartbeat first: should the group be rebalancing, we drain and commit before kafkajs
      // (whose own heartbeat after this batch is then throttled) rejoins.
      await heartbeat().catch(async (error: unknown) => {
        if (!isRebalance(error)) return;
        assignment.markRebalancing();
        await withinDeadline(
          state ? state.scheduler.drain() : Promise.resolve(),
          settings.revokeDrainMs,
        );
        await committer.commit();
      });
    }
    if (dueAt !== null && lifecycle.phase === 'running') {
      this.deps.parking.park(topic, partition, dueAt);
    }
  }

  /** Waits until the partition's pending span is below its bound, or dispatch must stop. */
  private roomFor(state: PartitionState): Promise<void> {
    if (state.tracker.pending < this.deps.settings.maxPending || !this.dispatching()) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => state.roomWaiters.push(resolve));
  }

  /**
   * Runs one record to its final outcome and marks its offset finished. An unexpected failure
   * of the runtime itself (not of the handler, which the RecordProcessor handles) is retried
   * with backoff rather than skipped: the offset must not become committable unhandled, and
   * later events of the key must not overtake it. Shutdown's abort ends the retries; the
   * record is then redelivered.
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
    const { lifecycle, settings } = this.deps;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const finished = await this.deps.processor.process(topic, partition, tier, message, known);
        if (finished) {
          owner.tracker.complete(offset);
          if (owner.roomWaiters.length > 0 && owner.tracker.pending < settings.maxPending) {
            wakeRoomWaiters(owner);
          }
        }
        return;
      } catch (error) {
        this.deps.events.emit('warning', { where: 'process', error });
        if (lifecycle.abort.signal.aborted || lifecycle.phase === 'stopped') return;
        await sleep(Math.min(5_000, 100 * 2 ** attempt), undefined, {
          signal: lifecycle.abort.signal,
        }).catch(() => undefined);
        if (lifecycle.abort.signal.aborted) return;
      }
    }
  }
}
