import type { SqliteDatabase } from './database';
import { captureTraceContext } from './trace-context';
import type { StoredTraceContext } from './trace-context';

/** An event to publish, as the service hands it to the outbox. */
export interface OutboxEvent {
  eventId: string;
  /** Kafka key: the aggregate id. Events of one aggregate are published in insert order. */
  aggregateId: string;
  topic: string;
  /** Avro full name, e.g. `fanout.user.UserRegistered`. */
  eventType: string;
  /** The event value, JSON-serialisable; encoded to Avro only at publish time. */
  payload: Record<string, unknown>;
  /** Extra Kafka headers (the `fanout.*` and `messaging.*` headers are derived from the metadata). */
  headers?: Record<string, string>;
}

export interface OutboxRow extends OutboxEvent {
  seq: number;
  trace: StoredTraceContext;
  createdAt: number;
  attempts: number;
  headers: Record<string, string>;
}

interface RawRow {
  seq: number;
  event_id: string;
  aggregate_id: string;
  topic: string;
  event_type: string;
  payload: string;
  headers: string;
  traceparent: string | null;
  tracestate: string | null;
  created_at: number;
  attempts: number;
  publishing_since: number | null;
}

function toOutboxRow(row: RawRow): OutboxRow {
  return {
    seq: row.seq,
    eventId: row.event_id,
    aggregateId: row.aggregate_id,
    topic: row.topic,
    eventType: row.event_type,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    headers: JSON.parse(row.headers) as Record<string, string>,
    trace: { traceparent: row.traceparent, tracestate: row.tracestate },
    createdAt: row.created_at,
    attempts: row.attempts,
  };
}

/** Dates are stored as epoch milliseconds: what Avro `timestamp-millis` encodes from. */
function datesAsEpochMillis(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() : value;
}

/**
 * The transactional outbox table. `append` must run inside the transaction that writes the
 * entity: then the event exists if and only if the entity does. `seq` gives the publish order.
 */
export class SqliteOutbox {
  private readonly listeners = new Set<() => void>();
  private readonly insert;
  private readonly selectBatch;
  private readonly countPending;
  private readonly oldestPending;
  private readonly statements;

  private readonly validate: ((event: OutboxEvent) => void) | undefined;
  private readonly now: () => number;

  /**
   * `validate` runs before each append and should throw for an event that could never be
   * published (e.g. it does not match its Avro schema): such a row would block its aggregate's
   * queue forever, so it must fail the request instead of being committed.
   */
  constructor(
    private readonly db: SqliteDatabase,
    options: { validate?: (event: OutboxEvent) => void; now?: () => number } = {},
  ) {
    this.validate = options.validate;
    this.now = options.now ?? Date.now;
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        aggregate_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT NOT NULL DEFAULT '{}',
        traceparent TEXT,
        tracestate TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        -- Set while a publish of the row is in flight: after a crash, such a row may or may
        -- not be on the topic ("in doubt"), and recovery looks for it before re-sending.
        publishing_since INTEGER
      );
      CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
    `);
    this.insert = db.prepare(`
      INSERT INTO outbox (event_id, aggregate_id, topic, event_type, payload, headers, traceparent, tracestate, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.selectBatch = db.prepare<[number], RawRow>(
      'SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?',
    );
    this.countPending = db.prepare<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL',
    );
    // One statement per batch, whatever its size: the seqs go in as one JSON array.
    const bySeqs = 'WHERE seq IN (SELECT value FROM json_each(?))';
    this.statements = {
      publishing: db.prepare(
        `UPDATE outbox SET publishing_since = ?, attempts = attempts + 1 ${bySeqs}`,
      ),
      sent: db.prepare(
        `UPDATE outbox SET sent_at = ?, publishing_since = NULL, last_error = NULL ${bySeqs}`,
      ),
      failed: db.prepare(`UPDATE outbox SET publishing_since = NULL, last_error = ? ${bySeqs}`),
    };
    this.oldestPending = db.prepare<[], { created_at: number }>(
      'SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT 1',
    );
  }

  /** Adds an event, inside the caller's transaction. The trace context defaults to the active one. */
  append(event: OutboxEvent, trace: StoredTraceContext = captureTraceContext()): void {
    this.validate?.(event);
    // Positional parameters: better-sqlite3 binds them without a lookup by name.
    this.insert.run(
      event.eventId,
      event.aggregateId,
      event.topic,
      event.eventType,
      JSON.stringify(event.payload, datesAsEpochMillis),
      event.headers === undefined ? '{}' : JSON.stringify(event.headers),
      trace.traceparent,
      trace.tracestate,
      this.now(),
    );
    // The relay runs on a later tick, after the caller's synchronous transaction has committed.
    // One wake-up per turn, however many rows the turn's transaction appends.
    if (!this.notifying && this.listeners.size > 0) {
      this.notifying = true;
      queueMicrotask(this.notify);
    }
  }

  private notifying = false;
  private readonly notify = (): void => {
    this.notifying = false;
    for (const listener of this.listeners) listener();
  };

  /** Called after each append, to wake the relay instead of waiting for its next poll. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The oldest unsent rows, in publish order. */
  pending(limit: number): OutboxRow[] {
    return this.selectBatch.all(limit).map(toOutboxRow);
  }

  /** Records that a publish of these rows starts now: until marked sent or failed, they are in doubt. */
  markPublishing(seqs: readonly number[]): void {
    if (seqs.length > 0) this.statements.publishing.run(this.now(), JSON.stringify(seqs));
  }

  markSent(seqs: readonly number[]): void {
    if (seqs.length > 0) this.statements.sent.run(this.now(), JSON.stringify(seqs));
  }

  /** A clean failure: the rows are certainly not on the topic, so no longer in doubt. */
  recordFailure(seqs: readonly number[], error: string): void {
    if (seqs.length > 0) this.statements.failed.run(error.slice(0, 500), JSON.stringify(seqs));
  }

  /**
   * Rows whose publish was in flight when the process died: Kafka may have them. Oldest first,
   * with the earliest time their publish started (a lower bound of their Kafka timestamps).
   */
  inDoubt(): { rows: OutboxRow[]; since: number } | undefined {
    const rows = this.db
      .prepare<
        [],
        RawRow
      >('SELECT * FROM outbox WHERE sent_at IS NULL AND publishing_since IS NOT NULL ORDER BY seq')
      .all();
    if (rows.length === 0) return undefined;
    const since = Math.min(...rows.map((r) => r.publishing_since ?? Number.MAX_SAFE_INTEGER));
    return { rows: rows.map(toOutboxRow), since };
  }

  backlog(): number {
    return this.countPending.get()?.n ?? 0;
  }

  /** Age of the oldest unsent event, or 0 when nothing waits. */
  oldestPendingAgeMs(): number {
    const row = this.oldestPending.get();
    return row === undefined ? 0 : Math.max(0, this.now() - row.created_at);
  }

  /** Deletes sent rows older than the retention; returns how many. */
  prune(retentionMs: number): number {
    return this.db
      .prepare('DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?')
      .run(this.now() - retentionMs).changes;
  }
}
