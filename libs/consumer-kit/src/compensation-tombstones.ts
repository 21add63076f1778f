import { SqliteDedupeStore } from '@fanout/messaging';

export interface CompensationTombstonesOptions {
  dataDir: string;
  /** The consumer group: one file per group, beside its dedupe file. */
  groupId: string;
  /** How long a tombstone is kept: longer than any retry tier a late command can wait in. */
  retentionMs: number;
}

/**
 * Tombstones of the orders whose compensation ran here. Commands of one order share a
 * partition, but the consumer runtime does not keep per-key order across retry tiers: a
 * command parked in a retry topic can be handled after the compensation that undoes it. The
 * action handler checks the tombstone before and after its API call, so a late action never
 * leaves an effect behind.
 *
 * Scope: one consumer instance (a SQLite file under DATA_DIR). A late action handled by another
 * instance than its compensation is not caught here; see the consumer-kit README.
 */
export class CompensationTombstones {
  private readonly store: SqliteDedupeStore;

  constructor(options: CompensationTombstonesOptions) {
    this.store = new SqliteDedupeStore({
      dataDir: options.dataDir,
      groupId: `${options.groupId}.compensated`,
      maxAgeMs: options.retentionMs,
      maxEntries: 1_000_000,
    });
  }

  /** Durable when it returns: the compensation is acknowledged only after its tombstone. */
  record(orderId: string): void {
    this.store.remember(orderId);
    this.store.flush();
  }

  has(orderId: string): boolean {
    return this.store.seen(orderId);
  }

  close(): void {
    this.store.close();
  }
}
