import type { Consumer } from 'kafkajs';
import type { Logger } from '@fanout/telemetry';
import { coPartitionAssigner } from './co-partition-assigner';
import type { CoordinatorContext, SagaCoordinatorOptions } from './coordinator-options';
import { PartitionOwnership } from './partition-ownership';
import { SagaInputs } from './saga-inputs';
import { deadlineOf, SagaTimers } from './saga-timers';
import { SagaTransactions } from './saga-transaction';
import type { StoredSaga } from './stored-saga';
import { checkTopology } from './topology-check';

export type {
  SagaCodec,
  SagaCoordinatorOptions,
  SagaMetrics,
  SagaTopics,
} from './coordinator-options';

/**
 * Runs sagas on Kafka with exactly-once state transitions. For each batch of one input
 * partition, in one Kafka transaction: the emitted commands, compensations and terminal events,
 * the new saga state in the changelog, and the consumed offsets. A crash at any point either
 * commits all of it or none of it, so every saga ends in exactly one terminal event.
 *
 * Scale-out is by partition: partition p of every input topic and of the changelog belongs to
 * one instance (see the co-partition assigner); on assignment it fences the previous owner and
 * restores p's sagas from the changelog before processing p's inputs. Timers (step and saga
 * timeouts, compensation resends) run through the same transactional path.
 *
 * The pieces: PartitionOwnership (assignment, fencing, restore, release), SagaInputs (group
 * commit, decoding, routing to startSaga / applyReply), recordTransition (state and emissions),
 * SagaTransactions (the Kafka transaction), SagaTimers (deadlines and purges).
 */
export class SagaCoordinator {
  private readonly consumer: Consumer;
  private readonly ownership: PartitionOwnership;
  private readonly inputs: SagaInputs;
  private readonly timers: SagaTimers;
  private stopping = false;
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly options: SagaCoordinatorOptions) {
    this.clock = options.clock ?? Date.now;
    this.log = options.logger;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [coPartitionAssigner],
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
      // Min bytes 1: a fetch returns at the first input, so the wait is only how often an idle
      // coordinator polls (2/s, not 10/s).
      maxWaitTimeInMs: 500,
    });
    const ctx: CoordinatorContext = { options, clock: this.clock, log: this.log };
    const deadline = (saga: StoredSaga): number | undefined => deadlineOf(options.sagas, saga);
    const isStopping = (): boolean => this.stopping;
    this.ownership = new PartitionOwnership(ctx, { deadlineOf: deadline, isStopping });
    const transactions = new SagaTransactions(ctx, {
      deadlineOf: deadline,
      reload: (owned) => this.ownership.reload(owned),
    });
    this.inputs = new SagaInputs(ctx, transactions);
    this.timers = new SagaTimers(ctx, {
      owned: () => this.ownership.owned.values(),
      transactions,
      isStopping,
    });
  }

  /** Ready: joined the group and every owned partition's sagas are restored. */
  isReady(): boolean {
    return this.ownership.isReady();
  }

  /** Partitions this instance owns and has restored (tests and /readyz use it). */
  ownedPartitions(): number[] {
    return this.ownership.ownedPartitions();
  }

  async start(): Promise<void> {
    await checkTopology(this.options);
    const { GROUP_JOIN, CRASH, REBALANCING } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) =>
      this.ownership.onAssignment(payload.memberAssignment),
    );
    this.consumer.on(REBALANCING, () => {
      this.ownership.joined = false;
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.log.error({ err: payload.error, restart: payload.restart }, 'saga consumer crashed');
      this.ownership.joined = false;
      if (!payload.restart && !this.stopping) this.options.onCrash?.(payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics.inputs], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Every input partition in parallel: the lanes keep each co-partition serial.
      partitionsConsumedConcurrently: 16,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const owned = await this.ownership.ensureOwned(batch.partition, heartbeat);
        const max = this.options.maxMessagesPerTransaction ?? 200;
        for (let i = 0; i < batch.messages.length; i += max) {
          if (!isRunning() || isStale() || owned.status !== 'ready') return;
          const chunk = batch.messages.slice(i, i + max);
          await this.inputs.submit(owned, batch.topic, chunk);
          resolveOffset(chunk[chunk.length - 1]!.offset);
          await heartbeat();
        }
      },
    });
    this.timers.start(this.options.tickIntervalMs ?? 100);
  }

  /** Stops fetching, lets in-flight transactions finish, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.timers.stop();
    await this.consumer
      .disconnect()
      .catch((err: unknown) => this.log.warn({ err }, 'consumer disconnect failed'));
    await this.ownership.releaseAll();
  }
}
