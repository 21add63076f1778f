import type { KafkaMessage, Producer } from 'kafkajs';
import { SerialLane } from './serial-lane';
import type { StoredSaga } from './stored-saga';

export type PartitionStatus = 'restoring' | 'ready' | 'released';

/**
 * One co-partition this instance owns: partition p of every input topic and of the changelog.
 * It holds the sagas of that partition in memory (the changelog is the durable copy), each
 * running saga's next deadline, the transactional producer whose id is bound to p (so a new
 * owner fences a stale one), and the lane that serializes batches and timer ticks.
 */
export class OwnedPartition {
  status: PartitionStatus = 'restoring';
  producer: Producer | undefined;
  readonly sagas = new Map<string, StoredSaga>();
  readonly deadlines = new Map<string, number>();
  readonly lane = new SerialLane();
  ready: Promise<void> = Promise.resolve();
  tickQueued = false;
  /** Input batches waiting for the next transaction (group commit). */
  readonly inbox: {
    topic: string;
    messages: KafkaMessage[];
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  nextPurgeAt = 0;
  /**
   * Per input topic, the group's committed offset of this partition as read after fencing the
   * last owner (so it is stable), advanced by every transaction since. An input below it was
   * applied by a committed transaction already: a refetch from an older position (kafkajs reads
   * committed offsets without KIP-447's stability, so a rejoin right after a commit can) must
   * not apply it again, nor dead-letter it a second time.
   */
  readonly consumed = new Map<string, bigint>();

  constructor(readonly partition: number) {}

  /** True when the input at `offset` of `topic` was applied by a committed transaction. */
  alreadyConsumed(topic: string, offset: string): boolean {
    const next = this.consumed.get(topic);
    return next !== undefined && BigInt(offset) < next;
  }

  /** After a commit: the offsets it stored are the new consumed positions (never backwards). */
  advanceConsumed(offsets: ReadonlyMap<string, string>): void {
    for (const [topic, offset] of offsets) {
      const next = BigInt(offset);
      if (next > (this.consumed.get(topic) ?? -1n)) this.consumed.set(topic, next);
    }
  }

  /** Keys of the sagas whose next deadline has passed. */
  due(now: number): string[] {
    const keys: string[] = [];
    for (const [key, deadline] of this.deadlines) if (deadline <= now) keys.push(key);
    return keys;
  }

  hasDue(now: number): boolean {
    for (const deadline of this.deadlines.values()) if (deadline <= now) return true;
    return false;
  }

  /** Makes a committed transaction's sagas the current ones (null: the saga was purged). */
  apply(
    changes: ReadonlyMap<string, StoredSaga | null>,
    deadlineOf: (saga: StoredSaga) => number | undefined,
  ): void {
    for (const [key, saga] of changes) {
      if (saga === null) {
        this.sagas.delete(key);
        this.deadlines.delete(key);
        continue;
      }
      this.sagas.set(key, saga);
      const deadline = deadlineOf(saga);
      if (deadline === undefined) this.deadlines.delete(key);
      else this.deadlines.set(key, deadline);
    }
  }
}
