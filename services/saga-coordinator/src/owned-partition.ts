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

  constructor(readonly partition: number) {}

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
