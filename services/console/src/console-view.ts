import { openDatabase } from '@fanout/service-kit';
import type { SqliteDatabase } from '@fanout/service-kit';
import type { SagaSnapshot } from '@fanout/inspection';
import { apiState, foldFact, noFacts } from './api-status';
import type { ApiFact, ApiFacts, ApiState } from './api-status';
import { apiOfGroup } from './record-projection';
import type {
  AttemptRow,
  DeadLetterRow,
  EventRow,
  ReplayRow,
  SagaMessageRow,
  ViewChange,
} from './record-projection';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS view_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS read_offsets (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset TEXT NOT NULL,
  PRIMARY KEY (topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, aggregate_id TEXT, user_id TEXT,
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, trace_id TEXT, correlation_id TEXT, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events (occurred_at DESC, event_id DESC);
CREATE INDEX IF NOT EXISTS events_by_aggregate ON events (aggregate_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS events_by_trace ON events (trace_id);
CREATE TABLE IF NOT EXISTS attempts (
  ledger_id TEXT NOT NULL, event_id TEXT NOT NULL, api TEXT NOT NULL, service TEXT NOT NULL,
  operation TEXT NOT NULL, idempotency_key TEXT, status INTEGER NOT NULL, outcome TEXT NOT NULL,
  error_code TEXT, latency_ms INTEGER NOT NULL, attempt INTEGER NOT NULL, trace_id TEXT,
  started_at INTEGER NOT NULL, PRIMARY KEY (event_id, ledger_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attempts_by_event ON attempts (event_id, api, started_at);
CREATE TABLE IF NOT EXISTS api_status (
  event_id TEXT NOT NULL, api TEXT NOT NULL, facts TEXT NOT NULL,
  PRIMARY KEY (event_id, api)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY, topic TEXT NOT NULL, partition INTEGER NOT NULL, offset TEXT NOT NULL,
  group_name TEXT NOT NULL, api TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
  key TEXT, reason TEXT NOT NULL, error_code TEXT NOT NULL, error_message TEXT NOT NULL,
  attempts INTEGER NOT NULL, dead_at INTEGER NOT NULL, replay_of TEXT, trace_id TEXT,
  headers TEXT NOT NULL, value BLOB);
CREATE INDEX IF NOT EXISTS dead_letters_by_time ON dead_letters (dead_at DESC);
CREATE INDEX IF NOT EXISTS dead_letters_by_event ON dead_letters (event_id);
CREATE TABLE IF NOT EXISTS replays (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset TEXT NOT NULL,
  dead_letter_id TEXT NOT NULL, event_id TEXT NOT NULL, replayed_at INTEGER NOT NULL,
  trace_id TEXT, original_trace_id TEXT, PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replays_by_event ON replays (event_id);
CREATE INDEX IF NOT EXISTS replays_by_dead_letter ON replays (dead_letter_id);
CREATE TABLE IF NOT EXISTS retry_counts (group_name TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letter_counts (group_name TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sagas (
  saga_key TEXT PRIMARY KEY, saga TEXT NOT NULL, saga_id TEXT NOT NULL, status TEXT NOT NULL,
  started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL,
  failure TEXT);
CREATE INDEX IF NOT EXISTS sagas_by_time ON sagas (started_at DESC);
CREATE INDEX IF NOT EXISTS sagas_by_id ON sagas (saga_id);
CREATE TABLE IF NOT EXISTS saga_versions (
  saga_key TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY (saga_key, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS saga_messages (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset TEXT NOT NULL, saga_id TEXT NOT NULL,
  event_type TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS saga_messages_by_saga ON saga_messages (saga_id, at);
`;

const VIEW_TABLES = [
  'read_offsets',
  'events',
  'attempts',
  'api_status',
  'dead_letters',
  'replays',
  'retry_counts',
  'dead_letter_counts',
  'sagas',
  'saga_versions',
  'saga_messages',
];

/** At most this many rows per page: every read is bounded. */
export const PAGE_SIZE = 50;

export interface EventSummary extends Omit<EventRow, 'payload'> {
  apis: Record<string, ApiState>;
}

export interface EventSearch {
  /** A user id, order id, event id or trace id. */
  q?: string;
  /** Keyset cursor: events that occurred before this epoch ms. */
  before?: number;
  limit?: number;
}

export interface DeadLetterListRow extends Omit<DeadLetterRow, 'headers' | 'value'> {
  replays: number;
}

export interface SagaRow {
  sagaKey: string;
  saga: string;
  sagaId: string;
  status: string;
  startedAt: number;
  updatedAt: number;
  failure: SagaSnapshot['failure'] | null;
}

type Row = Record<string, unknown>;

const eventOf = (r: Row): EventRow => ({
  eventId: r.event_id as string,
  eventType: r.event_type as string,
  aggregateId: (r.aggregate_id as string | null) ?? null,
  userId: (r.user_id as string | null) ?? null,
  topic: r.topic as string,
  partition: r.partition as number,
  offset: r.offset as string,
  occurredAt: r.occurred_at as number,
  traceId: (r.trace_id as string | null) ?? null,
  correlationId: (r.correlation_id as string | null) ?? null,
  payload: r.payload as string,
});

const deadLetterOf = (r: Row): DeadLetterRow => ({
  id: r.id as string,
  topic: r.topic as string,
  partition: r.partition as number,
  offset: r.offset as string,
  group: r.group_name as string,
  api: r.api as string,
  eventId: r.event_id as string,
  eventType: r.event_type as string,
  key: (r.key as string | null) ?? null,
  reason: r.reason as string,
  errorCode: r.error_code as string,
  errorMessage: r.error_message as string,
  attempts: r.attempts as number,
  deadAt: r.dead_at as number,
  replayOf: (r.replay_of as string | null) ?? null,
  traceId: (r.trace_id as string | null) ?? null,
  headers: JSON.parse(r.headers as string) as Record<string, string>,
  value: (r.value as Buffer | null) ?? null,
});

const replayOf = (r: Row): ReplayRow => ({
  deadLetterId: r.dead_letter_id as string,
  eventId: r.event_id as string,
  topic: r.topic as string,
  partition: r.partition as number,
  offset: r.offset as string,
  replayedAt: r.replayed_at as number,
  traceId: (r.trace_id as string | null) ?? null,
  originalTraceId: (r.original_trace_id as string | null) ?? null,
});

/**
 * The console's local view of the topics it reads: one SQLite file, written only by the feed
 * (in one transaction per fetched batch, with the offsets read to), read by the pages through
 * indexed, bounded queries only: no page scans a table.
 */
export class ConsoleView {
  readonly db: SqliteDatabase;
  private readonly statements;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.exec(SCHEMA);
    const p = (sql: string) => this.db.prepare(sql);
    this.statements = {
      offset: p(
        'INSERT INTO read_offsets VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET next_offset = excluded.next_offset',
      ),
      offsets: p('SELECT topic, partition, next_offset FROM read_offsets'),
      event: p(
        'INSERT OR IGNORE INTO events VALUES (@eventId, @eventType, @aggregateId, @userId, @topic, @partition, @offset, @occurredAt, @traceId, @correlationId, @payload)',
      ),
      attempt: p(
        'INSERT OR IGNORE INTO attempts VALUES (@ledgerId, @eventId, @api, @service, @operation, @idempotencyKey, @status, @outcome, @errorCode, @latencyMs, @attempt, @traceId, @startedAt)',
      ),
      facts: p('SELECT facts FROM api_status WHERE event_id = ? AND api = ?'),
      saveFacts: p(
        'INSERT INTO api_status VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET facts = excluded.facts',
      ),
      deadLetter: p(
        'INSERT OR IGNORE INTO dead_letters VALUES (@id, @topic, @partition, @offset, @group, @api, @eventId, @eventType, @key, @reason, @errorCode, @errorMessage, @attempts, @deadAt, @replayOf, @traceId, @headers, @value)',
      ),
      replay: p(
        'INSERT OR IGNORE INTO replays VALUES (@topic, @partition, @offset, @deadLetterId, @eventId, @replayedAt, @traceId, @originalTraceId)',
      ),
      retry: p(
        'INSERT INTO retry_counts VALUES (?, 1) ON CONFLICT DO UPDATE SET records = records + 1',
      ),
      sagaVersion: p('INSERT OR IGNORE INTO saga_versions VALUES (?, ?, ?)'),
      saga: p(
        `INSERT INTO sagas VALUES (@sagaKey, @saga, @sagaId, @status, @startedAt, @updatedAt, @version, @failure)
         ON CONFLICT DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
           version = excluded.version, failure = excluded.failure, started_at = MIN(started_at, excluded.started_at)
         WHERE excluded.version >= sagas.version`,
      ),
      sagaMessage: p(
        'INSERT OR IGNORE INTO saga_messages VALUES (@topic, @partition, @offset, @sagaId, @eventType, @at)',
      ),
      latest: p(
        'SELECT * FROM events WHERE occurred_at < ? ORDER BY occurred_at DESC, event_id DESC LIMIT ?',
      ),
      search: p(
        `SELECT * FROM (
           SELECT * FROM events WHERE event_id = @q
           UNION SELECT * FROM events WHERE trace_id = @q
           UNION SELECT * FROM (SELECT * FROM events WHERE aggregate_id = @q AND occurred_at < @before ORDER BY occurred_at DESC LIMIT @limit)
           UNION SELECT * FROM (SELECT * FROM events WHERE user_id = @q AND occurred_at < @before ORDER BY occurred_at DESC LIMIT @limit)
         ) ORDER BY occurred_at DESC, event_id DESC LIMIT @limit`,
      ),
      eventById: p('SELECT * FROM events WHERE event_id = ?'),
      statusOf: p('SELECT api, facts FROM api_status WHERE event_id = ?'),
      attemptsOf: p('SELECT * FROM attempts WHERE event_id = ? ORDER BY api, started_at LIMIT 500'),
      deadLettersOf: p('SELECT * FROM dead_letters WHERE event_id = ? ORDER BY dead_at LIMIT 100'),
      replaysOfEvent: p('SELECT * FROM replays WHERE event_id = ? ORDER BY replayed_at LIMIT 100'),
      replaysOfDeadLetter: p(
        'SELECT * FROM replays WHERE dead_letter_id = ? ORDER BY replayed_at LIMIT 100',
      ),
      deadLetters: p(
        `SELECT d.*, (SELECT COUNT(*) FROM replays r WHERE r.dead_letter_id = d.id) AS replays
         FROM dead_letters d WHERE dead_at < ? ORDER BY dead_at DESC LIMIT ?`,
      ),
      deadLetterById: p('SELECT * FROM dead_letters WHERE id = ?'),
      countDeadLetter: p(
        'INSERT INTO dead_letter_counts VALUES (?, 1) ON CONFLICT DO UPDATE SET records = records + 1',
      ),
      deadLetterCounts: p('SELECT group_name, records FROM dead_letter_counts LIMIT 1000'),
      retryCounts: p('SELECT group_name, records FROM retry_counts LIMIT 1000'),
      sagas: p('SELECT * FROM sagas WHERE started_at < ? ORDER BY started_at DESC LIMIT ?'),
      sagasById: p('SELECT * FROM sagas WHERE saga_id = ? ORDER BY started_at DESC LIMIT 10'),
      sagaVersions: p(
        'SELECT state FROM saga_versions WHERE saga_key = ? ORDER BY version LIMIT 1000',
      ),
      sagaMessages: p('SELECT * FROM saga_messages WHERE saga_id = ? ORDER BY at LIMIT 1000'),
      counts: p('SELECT (SELECT COUNT(*) FROM events) AS events'),
    };
  }

  /** Applies a batch of changes and the offsets read to, atomically. */
  apply(
    changes: readonly ViewChange[],
    offsets: ReadonlyArray<{ topic: string; partition: number; nextOffset: string }> = [],
  ): void {
    this.db.transaction(() => {
      for (const change of changes) this.applyOne(change);
      for (const o of offsets) this.statements.offset.run(o.topic, o.partition, o.nextOffset);
    })();
  }

  private applyOne(change: ViewChange): void {
    const s = this.statements;
    switch (change.kind) {
      case 'event':
        s.event.run(change.row);
        break;
      case 'attempt': {
        const row = change.row;
        // Folded only when new: a ledger record read twice counts once.
        if (s.attempt.run(row).changes === 0 || row.outcome === 'UNKNOWN') return;
        this.fold(row.eventId, row.api, {
          kind: 'attempt',
          endedAt: row.startedAt + row.latencyMs,
          outcome: row.outcome,
          errorCode: row.errorCode,
        });
        break;
      }
      case 'fact':
        this.fold(change.eventId, change.api, change.fact);
        break;
      case 'dead-letter':
        if (
          s.deadLetter.run({ ...change.row, headers: JSON.stringify(change.row.headers) }).changes >
          0
        )
          s.countDeadLetter.run(change.row.group);
        break;
      case 'retry':
        s.retry.run(change.group);
        break;
      case 'replay':
        if (s.replay.run(change.row).changes === 0) return;
        this.fold(change.row.eventId, this.apiOfDeadLetter(change.row.deadLetterId), {
          kind: 'replay',
          at: change.row.replayedAt,
        });
        break;
      case 'saga-version': {
        const st = change.state;
        s.sagaVersion.run(change.key, st.version, JSON.stringify(st));
        s.saga.run({
          sagaKey: change.key,
          saga: st.saga,
          sagaId: st.sagaId,
          status: st.status,
          startedAt: st.startedAt,
          updatedAt: st.updatedAt,
          version: st.version,
          failure: st.failure ? JSON.stringify(st.failure) : null,
        });
        break;
      }
      case 'saga-message':
        s.sagaMessage.run(change.row);
        break;
    }
  }

  private apiOfDeadLetter(id: string): string {
    const row = this.statements.deadLetterById.get(id) as Row | undefined;
    if (row) return row.api as string;
    const topic = id.split(':')[0] ?? id;
    return apiOfGroup(topic.replace(/\.dlq$/, ''));
  }

  private fold(eventId: string, api: string, fact: ApiFact): void {
    const row = this.statements.facts.get(eventId, api) as { facts: string } | undefined;
    const facts = row ? (JSON.parse(row.facts) as ApiFacts) : noFacts();
    this.statements.saveFacts.run(eventId, api, JSON.stringify(foldFact(facts, fact)));
  }

  /**
   * The view belongs to one Kafka cluster: read from another (a local stack rebuilt from
   * scratch), its rows and offsets would be wrong, so it starts empty. Returns true if it did.
   */
  bindToCluster(clusterId: string): boolean {
    const row = this.db.prepare("SELECT value FROM view_meta WHERE name = 'cluster'").get() as
      | { value: string }
      | undefined;
    if (row?.value === clusterId) return false;
    this.db.transaction(() => {
      for (const table of VIEW_TABLES) this.db.exec(`DELETE FROM ${table}`);
      this.db
        .prepare(
          "INSERT INTO view_meta VALUES ('cluster', ?) ON CONFLICT DO UPDATE SET value = excluded.value",
        )
        .run(clusterId);
    })();
    return row !== undefined;
  }

  readOffsets(): Array<{ topic: string; partition: number; nextOffset: string }> {
    return (this.statements.offsets.all() as Row[]).map((r) => ({
      topic: r.topic as string,
      partition: r.partition as number,
      nextOffset: r.next_offset as string,
    }));
  }

  /** The latest events (or those matching `q`), each with its state per API: two indexed reads. */
  events(search: EventSearch = {}): EventSummary[] {
    const limit = Math.min(search.limit ?? PAGE_SIZE, PAGE_SIZE);
    const before = search.before ?? Number.MAX_SAFE_INTEGER;
    const q = search.q?.trim();
    const rows = (
      q
        ? this.statements.search.all({ q, before, limit })
        : this.statements.latest.all(before, limit)
    ) as Row[];
    return rows.map((r) => {
      const { payload: _payload, ...event } = eventOf(r);
      return { ...event, apis: this.apiStates(event.eventId, event.occurredAt) };
    });
  }

  apiStates(eventId: string, occurredAt: number | null): Record<string, ApiState> {
    const out: Record<string, ApiState> = {};
    for (const r of this.statements.statusOf.all(eventId) as Array<{ api: string; facts: string }>)
      out[r.api] = apiState(JSON.parse(r.facts) as ApiFacts, occurredAt);
    return out;
  }

  event(eventId: string): EventRow | undefined {
    const r = this.statements.eventById.get(eventId) as Row | undefined;
    return r ? eventOf(r) : undefined;
  }

  attempts(eventId: string): AttemptRow[] {
    return (this.statements.attemptsOf.all(eventId) as Row[]).map((r) => ({
      ledgerId: r.ledger_id as string,
      eventId: r.event_id as string,
      api: r.api as string,
      service: r.service as string,
      operation: r.operation as string,
      idempotencyKey: (r.idempotency_key as string | null) ?? null,
      status: r.status as number,
      outcome: r.outcome as AttemptRow['outcome'],
      errorCode: (r.error_code as string | null) ?? null,
      latencyMs: r.latency_ms as number,
      attempt: r.attempt as number,
      traceId: (r.trace_id as string | null) ?? null,
      startedAt: r.started_at as number,
    }));
  }

  deadLettersOfEvent(eventId: string): DeadLetterRow[] {
    return (this.statements.deadLettersOf.all(eventId) as Row[]).map(deadLetterOf);
  }

  replaysOfEvent(eventId: string): ReplayRow[] {
    return (this.statements.replaysOfEvent.all(eventId) as Row[]).map(replayOf);
  }

  replaysOfDeadLetter(id: string): ReplayRow[] {
    return (this.statements.replaysOfDeadLetter.all(id) as Row[]).map(replayOf);
  }

  deadLetters(before = Number.MAX_SAFE_INTEGER): DeadLetterListRow[] {
    return (this.statements.deadLetters.all(before, PAGE_SIZE) as Row[]).map((r) => {
      const { headers: _h, value: _v, ...rest } = deadLetterOf(r);
      return { ...rest, replays: r.replays as number };
    });
  }

  deadLetter(id: string): DeadLetterRow | undefined {
    const r = this.statements.deadLetterById.get(id) as Row | undefined;
    return r ? deadLetterOf(r) : undefined;
  }

  /** Dead letters and retry-topic records seen, per consumer group. */
  failureCounts(): Array<{ group: string; deadLetters: number; retries: number }> {
    const groups = new Map<string, { group: string; deadLetters: number; retries: number }>();
    const entry = (group: string) => {
      const e = groups.get(group) ?? { group, deadLetters: 0, retries: 0 };
      groups.set(group, e);
      return e;
    };
    for (const r of this.statements.deadLetterCounts.all() as Row[])
      entry(r.group_name as string).deadLetters = r.records as number;
    for (const r of this.statements.retryCounts.all() as Row[])
      entry(r.group_name as string).retries = r.records as number;
    return [...groups.values()].sort((a, b) => a.group.localeCompare(b.group));
  }

  sagas(before = Number.MAX_SAFE_INTEGER): SagaRow[] {
    return (this.statements.sagas.all(before, PAGE_SIZE) as Row[]).map(sagaOf);
  }

  sagasOf(sagaId: string): SagaRow[] {
    return (this.statements.sagasById.all(sagaId) as Row[]).map(sagaOf);
  }

  sagaVersions(sagaKey: string): SagaSnapshot[] {
    return (this.statements.sagaVersions.all(sagaKey) as Array<{ state: string }>).map(
      (r) => JSON.parse(r.state) as SagaSnapshot,
    );
  }

  sagaMessages(sagaId: string): SagaMessageRow[] {
    return (this.statements.sagaMessages.all(sagaId) as Row[]).map((r) => ({
      sagaId: r.saga_id as string,
      topic: r.topic as string,
      partition: r.partition as number,
      offset: r.offset as string,
      eventType: r.event_type as string,
      at: r.at as number,
    }));
  }

  close(): void {
    this.db.close();
  }
}

const sagaOf = (r: Row): SagaRow => ({
  sagaKey: r.saga_key as string,
  saga: r.saga as string,
  sagaId: r.saga_id as string,
  status: r.status as string,
  startedAt: r.started_at as number,
  updatedAt: r.updated_at as number,
  failure: r.failure ? (JSON.parse(r.failure as string) as SagaSnapshot['failure']) : null,
});
