import { NonRetriableError } from '@fanout/errors';
import { restoreChangelog } from './changelog-restorer';
import { committedInputOffsets } from './committed-inputs';
import type { CoordinatorContext } from './coordinator-options';
import { OwnedPartition } from './owned-partition';
import type { StoredSaga } from './stored-saga';

export interface PartitionOwnershipDeps {
  /** The next deadline of a saga, for the partition's timers. */
  deadlineOf: (saga: StoredSaga) => number | undefined;
  /** True once the coordinator is stopping: no partition is adopted again. */
  isStopping: () => boolean;
}

/**
 * The co-partitions this instance owns: what the group assigned, which of them are restored,
 * and the fencing, restore and release that come with an assignment.
 */
export class PartitionOwnership {
  readonly owned = new Map<number, OwnedPartition>();
  private assigned = new Set<number>();
  joined = false;

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly deps: PartitionOwnershipDeps,
  ) {}

  /** Ready: joined the group and every owned partition's sagas are restored. */
  isReady(): boolean {
    return this.joined && [...this.assigned].every((p) => this.owned.get(p)?.status === 'ready');
  }

  /** Partitions this instance owns and has restored. */
  ownedPartitions(): number[] {
    return [...this.owned.values()].filter((o) => o.status === 'ready').map((o) => o.partition);
  }

  onAssignment(assignment: Record<string, number[]>): void {
    const assigned = new Set<number>();
    for (const topic of this.ctx.options.topics.inputs)
      for (const p of assignment[topic] ?? []) assigned.add(p);
    this.assigned = assigned;
    for (const [p, owned] of this.owned) if (!assigned.has(p)) this.release(owned, 'revoked');
    const fresh = [...assigned].filter((p) => !this.owned.has(p));
    if (fresh.length > 0) this.adopt(fresh);
    this.joined = true;
    this.ctx.log.info(
      { partitions: [...assigned].sort((a, b) => a - b) },
      'saga partitions assigned',
    );
  }

  /**
   * Takes partitions over: first fence their previous owner (initialising the transactional
   * producer bound to each partition aborts whatever it left open), then read the group's
   * committed input offsets (stable now) and restore their sagas from the changelog up to its
   * end. Inputs of a partition wait for its restore.
   */
  adopt(partitions: number[], attempt = 0): void {
    const { options, clock, log } = this.ctx;
    const entries = partitions.map((p) => new OwnedPartition(p));
    const restore = (async () => {
      const started = clock();
      await Promise.all(
        entries.map(async (owned) => {
          const producer = options.kafka.producer({
            transactionalId: `${options.transactionalIdPrefix}-p${owned.partition}`,
            idempotent: true,
            maxInFlightRequests: 1,
            transactionTimeout: 60_000,
          });
          await producer.connect();
          // connect() only gets an idempotent producer id: kafkajs sends the InitProducerId that
          // fences the transactional id lazily, at the first transaction. Fence now, before the
          // restore: the broker answers it only once the last owner's open transaction is
          // committed or aborted (e.g. an in-doubt commit after a broker died), so the changelog
          // read next holds its outcome. (Found by the chaos suite: restored without it, sagas
          // whose start was committed late were lost and their replies dead-lettered.)
          await (await producer.transaction()).abort();
          owned.producer = producer;
        }),
      );
      const committed = await committedInputOffsets(
        options.kafka,
        options.groupId,
        options.topics.inputs,
        partitions,
      );
      const restored = await restoreChangelog({
        kafka: options.kafka,
        topic: options.topics.state,
        partitions,
        timeoutMs: options.restoreTimeoutMs ?? 60_000,
        onCorruptRecord: (partition, offset, err) =>
          log.error({ err, partition, offset }, 'unreadable saga changelog record skipped'),
      });
      let count = 0;
      for (const owned of entries) {
        if (owned.status === 'released') {
          // Revoked while restoring: its producer connected after release() ran.
          await owned.producer?.disconnect().catch(() => undefined);
          continue;
        }
        const changes = restored.get(owned.partition) ?? new Map<string, StoredSaga>();
        owned.apply(changes, this.deps.deadlineOf);
        for (const [topic, next] of committed.get(owned.partition) ?? [])
          owned.consumed.set(topic, next);
        count += changes.size;
        owned.status = 'ready';
      }
      log.info(
        { partitions, sagas: count, durationMs: clock() - started },
        'saga state restored from changelog',
      );
    })();
    for (const owned of entries) {
      owned.ready = restore;
      this.owned.set(owned.partition, owned);
    }
    restore.catch((err: unknown) => {
      const delayMs = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
      log.error({ err, partitions, retryInMs: delayMs }, 'saga state restore failed; will retry');
      for (const owned of entries) this.release(owned, 'restore failed');
      // Retry on our own: a partition without traffic would otherwise never be restored, and
      // its sagas' timers would never fire.
      const retry = setTimeout(() => {
        const still = partitions.filter((p) => this.assigned.has(p) && !this.owned.has(p));
        if (still.length > 0 && !this.deps.isStopping()) this.adopt(still, attempt + 1);
      }, delayMs);
      retry.unref();
    });
  }

  /** Forgets a partition's sagas (another instance owns them now, or must reload them). */
  release(owned: OwnedPartition, why: string): void {
    if (this.owned.get(owned.partition) === owned) this.owned.delete(owned.partition);
    if (owned.status === 'released') return;
    owned.status = 'released';
    owned.sagas.clear();
    owned.deadlines.clear();
    this.ctx.log.info({ partition: owned.partition, why }, 'saga partition released');
    void owned.lane.run(async () => {
      await owned.producer?.disconnect().catch(() => undefined);
    });
  }

  /** After a failed transaction: forget the partition, and restore it again if still ours. */
  reload(owned: OwnedPartition): void {
    this.release(owned, 'transaction failed');
    if (this.assigned.has(owned.partition) && !this.deps.isStopping()) {
      this.adopt([owned.partition]);
    }
  }

  /** The partition, restored (adopted first if need be); heartbeats while a restore runs. */
  async ensureOwned(partition: number, heartbeat: () => Promise<void>): Promise<OwnedPartition> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let owned = this.owned.get(partition);
      if (!owned) {
        this.adopt([partition]);
        owned = this.owned.get(partition)!;
      }
      let settled = false;
      const ready = owned.ready.then(
        () => (settled = true),
        () => (settled = true),
      );
      // Keep the group membership while a long restore runs.
      while (!settled) {
        await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 1_000))]);
        if (!settled) await heartbeat().catch(() => undefined);
      }
      if (owned.status === 'ready') return owned;
    }
    throw new NonRetriableError(
      'SAGA_RESTORE_FAILED',
      `partition ${partition} could not be restored`,
    );
  }

  /** Lets every partition's lane finish, disconnects their producers, and forgets them. */
  async releaseAll(): Promise<void> {
    await Promise.all(
      [...this.owned.values()].map(async (owned) => {
        await owned.lane.drain();
        await owned.producer?.disconnect().catch(() => undefined);
      }),
    );
    this.owned.clear();
  }
}
