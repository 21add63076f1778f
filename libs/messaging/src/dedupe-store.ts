import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Remembers which event ids a consumer group already handled, so a redelivery (after a crash
 * or a rebalance) skips the handler. It is a per-instance optimisation, not the guarantee:
 * two instances do not share it, and a crash between the side effect and `flush` forgets the
 * last few ids. The downstream Idempotency-Key (derived from the event id) is what makes the
 * side effect happen once across instances; this store just avoids repeating the call.
 */
export interface DedupeStore {
  seen(eventId: string): boolean;
  /** The ids among `eventIds` already handled: one lookup for a whole batch. */
  seenMany(eventIds: readonly string[]): Set<string>;
  /** Records a handled event; durable after the next `flush`. */
  remember(eventId: string): void;
  /** Makes remembered ids durable. The runtime calls it before every offset commit. */
  flush(): void;
  close(): void;
}

export interface SqliteDedupeOptions {
  /** Folder for the SQLite file; one file per consumer group. */
  dataDir: string;
  groupId: string;
  /** Bound by count: the oldest ids beyond it are forgotten. Default 100,000. */
  maxEntries?: number;
  /** Bound by age: older ids are forgotten. Default 7 days. */
  maxAgeMs?: number;
  now?: () => number;
}

export class SqliteDedupeStore implements DedupeStore {
  private readonly db: Database.Database;
  private readonly pending = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly lookup: Database.Statement<[string], { one: number }>;
  private readonly lookupMany: Database.Statement<[string], { id: string }>;
  private readonly insert: Database.Statement<[string, number]>;
  private readonly insertMany: (rows: Array<[string, number]>) => void;
  private flushes = 0;

  constructor(options: SqliteDedupeOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    const file = join(options.dataDir, `${options.groupId.replace(/[^\w.-]/g, '_')}.dedupe.sqlite`);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(
      // No index on handled_at: inserts are the hot path, pruning is rare and may scan.
      `CREATE TABLE IF NOT EXISTS handled_events
         (event_id TEXT PRIMARY KEY, handled_at INTEGER NOT NULL) WITHOUT ROWID;`,
    );
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
    this.lookup = this.db.prepare('SELECT 1 AS one FROM handled_events WHERE event_id = ?');
    this.lookupMany = this.db.prepare(
      'SELECT event_id AS id FROM handled_events WHERE event_id IN (SELECT value FROM json_each(?))',
    );
    this.insert = this.db.prepare(
      'INSERT OR REPLACE INTO handled_events (event_id, handled_at) VALUES (?, ?)',
    );
    this.insertMany = this.db.transaction((rows: Array<[string, number]>) => {
      for (const [id, at] of rows) this.insert.run(id, at);
    });
    this.prune();
  }

  seen(eventId: string): boolean {
    return this.pending.has(eventId) || this.lookup.get(eventId) !== undefined;
  }

  seenMany(eventIds: readonly string[]): Set<string> {
    const found = new Set<string>();
    if (eventIds.length === 0) return found;
    for (const row of this.lookupMany.all(JSON.stringify(eventIds))) found.add(row.id);
    for (const id of eventIds) if (this.pending.has(id)) found.add(id);
    return found;
  }

  remember(eventId: string): void {
    this.pending.set(eventId, this.now());
  }

  flush(): void {
    if (this.pending.size === 0) return;
    this.insertMany([...this.pending.entries()]);
    this.pending.clear();
    this.flushes += 1;
    if (this.flushes % 50 === 0) this.prune();
  }

  /** Forgets ids older than the age bound and the oldest beyond the count bound. */
  prune(): void {
    this.db
      .prepare('DELETE FROM handled_events WHERE handled_at < ?')
      .run(this.now() - this.maxAgeMs);
    const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM handled_events').get() as {
      n: number;
    };
    if (n > this.maxEntries) {
      this.db
        .prepare(
          'DELETE FROM handled_events WHERE event_id IN (SELECT event_id FROM handled_events ORDER BY handled_at ASC LIMIT ?)',
        )
        .run(n - this.maxEntries);
    }
  }

  get size(): number {
    return (
      (this.db.prepare('SELECT COUNT(*) AS n FROM handled_events').get() as { n: number }).n +
      this.pending.size
    );
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
