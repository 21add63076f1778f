import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database';
import type { IdempotencyRecord, IdempotencyStore, Reservation } from './idempotency-store';

interface Row {
  fingerprint: string;
  status: number | null;
  content_type: string | null;
  body: string | null;
  created_at: number;
}

export interface SqliteIdempotencyStoreOptions {
  /** An in-progress reservation older than this is taken over: its request died mid-way. */
  lockTtlMs?: number;
  /** Completed records older than this are deleted by `prune`. */
  retentionMs?: number;
  now?: () => number;
}

/**
 * Idempotency records in the service's own SQLite database, so `complete` can run in the same
 * transaction as the entity and its outbox row: either all three are stored or none.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly lockTtlMs: number;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private readonly reserveTx: (scope: string, key: string, fingerprint: string) => Reservation;
  private readonly completeStatement: Statement<
    [{ status: number; contentType: string; body: string; scope: string; key: string }]
  >;
  private readonly releaseStatement: Statement<[string, string]>;
  private readonly pruneStatement: Statement<[number]>;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteIdempotencyStoreOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
    this.retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
    db.exec(`
      CREATE TABLE IF NOT EXISTS idempotency_keys (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER,
        content_type TEXT,
        body TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
    const select = db.prepare<[string, string], Row>(
      'SELECT fingerprint, status, content_type, body, created_at FROM idempotency_keys WHERE scope = ? AND key = ?',
    );
    const insert = db.prepare(
      'INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES (?, ?, ?, ?)',
    );
    const takeOver = db.prepare(
      'UPDATE idempotency_keys SET fingerprint = ?, created_at = ? WHERE scope = ? AND key = ? AND status IS NULL',
    );
    // IMMEDIATE: the read and the insert happen under one write lock, even across processes.
    const reserveTx = db.transaction(
      (scope: string, key: string, fingerprint: string): Reservation => {
        const now = this.now();
        const row = select.get(scope, key);
        if (row === undefined) {
          insert.run(scope, key, fingerprint, now);
          return { reserved: true };
        }
        if (row.status === null && now - row.created_at > this.lockTtlMs) {
          takeOver.run(fingerprint, now, scope, key);
          return { reserved: true };
        }
        const record: IdempotencyRecord = {
          fingerprint: row.fingerprint,
          status: row.status,
          contentType: row.content_type,
          body: row.body,
        };
        return { reserved: false, record };
      },
    );
    this.reserveTx = (scope, key, fingerprint) => reserveTx.immediate(scope, key, fingerprint);
    // Prepared once: preparing per call cost more than the write itself under load.
    // The response is usually stored twice (inside the entity's transaction, then as sent):
    // the second write changes nothing, and an UPDATE that matches no row writes no WAL frame.
    this.completeStatement = db.prepare(
      `UPDATE idempotency_keys SET status = @status, content_type = @contentType, body = @body
       WHERE scope = @scope AND key = @key
         AND (status IS NOT @status OR content_type IS NOT @contentType OR body IS NOT @body)`,
    );
    this.releaseStatement = db.prepare(
      'DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL',
    );
    this.pruneStatement = db.prepare(
      'DELETE FROM idempotency_keys WHERE status IS NOT NULL AND created_at < ?',
    );
  }

  reserve(scope: string, key: string, fingerprint: string): Reservation {
    return this.reserveTx(scope, key, fingerprint);
  }

  complete(scope: string, key: string, status: number, contentType: string, body: string): void {
    this.completeStatement.run({ status, contentType, body, scope, key });
  }

  release(scope: string, key: string): void {
    this.releaseStatement.run(scope, key);
  }

  /** Deletes completed records past their retention; returns how many. */
  prune(): number {
    return this.pruneStatement.run(this.now() - this.retentionMs).changes;
  }
}
