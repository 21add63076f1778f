import { KeyScheduler } from './key-scheduler';
import { OffsetTracker } from './offset-tracker';

/** One assigned partition of one group generation: its offsets and its dispatch window. */
export interface PartitionState {
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

/** True for a Kafka error that means the group is rebalancing (or we left it). */
export function isRebalance(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type;
  return type !== undefined && REBALANCE_ERRORS.has(type);
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

/** Releases the dispatchers waiting for room in `state`. */
export function wakeRoomWaiters(state: PartitionState): void {
  const waiters = state.roomWaiters;
  state.roomWaiters = [];
  for (const wake of waiters) wake();
}

/**
 * The partitions this member consumes, per group generation. A join bumps the generation, so
 * the states of the last one are never committed again; a heartbeat or commit that sees the
 * group rebalancing marks it, and dispatch stops until the next join, or until a heartbeat
 * shows that the generation it consumes in is still the group's.
 */
export class PartitionAssignment {
  readonly states = new Map<string, PartitionState>();
  /** Bumped at every group join; states of older generations are never committed. */
  generation = 0;
  /** A heartbeat or commit saw the group rebalancing; cleared by the next join or heartbeat. */
  rebalancing = false;

  constructor(private readonly perPartition: number) {}

  create(topic: string, partition: number): PartitionState {
    const state: PartitionState = {
      key: partitionKey(topic, partition),
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

  /**
   * A new generation: kafkajs refetches every partition from its committed offset, so our
   * trackers start over. Old states stay until their partition's next batch (which first
   * waits for their in-flight work) and are never committed again.
   */
  joined(): void {
    this.generation += 1;
    this.rebalancing = false;
    for (const [key, state] of this.states) {
      if (state.scheduler.inFlight === 0) this.states.delete(key);
    }
  }

  /**
   * The coordinator accepted a heartbeat of the generation we consume in: that generation is
   * current, so a rebalance we expected did not take our partitions. kafkajs reports a
   * rebalance, rejoins, and when that JoinGroup fails (e.g. "the coordinator is loading" after
   * a coordinator move) it fetches on in its old generation, which the new coordinator loaded
   * as stable: no join follows, and waiting for one stopped dispatch for good (the chaos
   * suite's consumers that fetched and never handled a record).
   */
  confirmedMember(): void {
    if (!this.rebalancing) return;
    this.rebalancing = false;
    this.wakeDispatchers();
  }

  markRebalancing(): void {
    if (this.rebalancing) return;
    this.rebalancing = true;
    this.wakeDispatchers();
  }

  /** Releases dispatchers waiting for room, so they notice a stop, pause or rebalance. */
  wakeDispatchers(): void {
    for (const state of this.states.values()) wakeRoomWaiters(state);
  }

  /** Resolves once every partition's in-flight work finished. */
  drainAll(): Promise<unknown> {
    return Promise.all([...this.states.values()].map((s) => s.scheduler.drain()));
  }
}
