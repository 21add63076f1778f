import type { Consumer } from 'kafkajs';
import type { DedupeStore } from './dedupe-store';
import { isRebalance, type PartitionAssignment, type PartitionState } from './partition-assignment';
import type { RuntimeEvents } from './runtime-events';

export interface OffsetCommitterDeps {
  consumer: Pick<Consumer, 'commitOffsets'>;
  assignment: PartitionAssignment;
  dedupe: DedupeStore | null;
  beforeCommit: (() => Promise<void>) | undefined;
  events: RuntimeEvents;
}

/**
 * Commits the finished prefix of every partition of the current generation, on a timer and
 * whenever the runtime asks (before a revoke, a rejoin or shutdown).
 */
export class OffsetCommitter {
  private commitTimer: NodeJS.Timeout | undefined;
  /** The commit in flight, if any; a request meanwhile sets `commitAgain`. */
  private committing: Promise<boolean> | null = null;
  private commitAgain = false;

  constructor(private readonly deps: OffsetCommitterDeps) {}

  startTimer(intervalMs: number): void {
    this.commitTimer = setInterval(() => void this.commit(), intervalMs);
    this.commitTimer.unref();
  }

  stopTimer(): void {
    clearInterval(this.commitTimer);
  }

  /**
   * Commits the finished prefix of every partition of the current generation in one request,
   * one commit in flight at a time (a request meanwhile is folded into one more round).
   * Resolves false when the group is rebalancing or the commit failed.
   */
  commit(): Promise<boolean> {
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
    const { assignment, events } = this.deps;
    // The offsets are chosen first: everything their events did (dedupe ids, whatever the
    // beforeCommit hook flushes) happened before this point.
    const due: Array<{ state: PartitionState; next: number }> = [];
    for (const [key, state] of assignment.states) {
      // After a rebalance this partition may belong to another member: never commit an older
      // generation's state (it could move that member's committed offset backwards).
      if (state.generation !== assignment.generation) {
        if (state.scheduler.inFlight === 0) assignment.states.delete(key);
        continue;
      }
      const next = state.tracker.committable();
      if (next !== null && next > state.committed) due.push({ state, next });
    }
    if (due.length === 0) return true;
    try {
      // Ids of handled events become durable before the offsets that skip them.
      this.deps.dedupe?.flush();
      await this.deps.beforeCommit?.();
    } catch (error) {
      events.emit('warning', { where: 'before commit', error });
      return false;
    }
    const generation = assignment.generation;
    try {
      await this.deps.consumer.commitOffsets(
        due.map(({ state, next }) => ({
          topic: state.topic,
          partition: state.partition,
          offset: String(next),
        })),
      );
    } catch (error) {
      events.emit('warning', { where: 'commit', error });
      if (isRebalance(error)) assignment.markRebalancing();
      return false;
    }
    if (generation !== assignment.generation) return true;
    for (const { state, next } of due) {
      state.committed = Math.max(state.committed, next);
      events.emit('commit', {
        topic: state.topic,
        partition: state.partition,
        offset: String(next),
      });
    }
    return true;
  }
}
