import {
  ReplayHeaders,
  formatDeadLetterId,
  summarizeDeadLetter,
  traceIdOf,
} from '@fanout/dead-letters';
import type { DeadLetterRecord } from '@fanout/dead-letters';
import type { SagaSnapshot } from '@fanout/inspection';
import { Headers } from '@fanout/messaging';
import type { ApiFact } from './api-status';
import { maskPayload, payloadSubject } from './masked-payload';

/** The topics the console reads, by role. */
export interface ConsoleTopics {
  domain: readonly string[];
  ledger: string;
  sagaState: string;
  sagaMessages: readonly string[];
}

export type TopicRole =
  | 'domain'
  | 'ledger'
  | 'retry'
  | 'dead-letter'
  | 'saga-state'
  | 'saga-message';

export function topicRole(topic: string, topics: ConsoleTopics): TopicRole | null {
  if (topics.domain.includes(topic)) return 'domain';
  if (topic === topics.ledger) return 'ledger';
  if (topic === topics.sagaState) return 'saga-state';
  if (topics.sagaMessages.includes(topic)) return 'saga-message';
  if (topic.endsWith('.dlq') || topic === 'fanout.saga.dead-letter') return 'dead-letter';
  if (/\.retry\.\d+$/.test(topic)) return 'retry';
  return null;
}

/** The API a consumer group calls: `crm-consumer` → `crm` (the catalog's naming). */
export function apiOfGroup(group: string): string {
  return group.replace(/-consumer$/, '');
}

export interface EventRow {
  eventId: string;
  eventType: string;
  aggregateId: string | null;
  userId: string | null;
  topic: string;
  partition: number;
  offset: string;
  occurredAt: number;
  traceId: string | null;
  correlationId: string | null;
  /** The masked payload as JSON. */
  payload: string;
}

export interface AttemptRow {
  ledgerId: string;
  eventId: string;
  api: string;
  service: string;
  operation: string;
  idempotencyKey: string | null;
  status: number;
  outcome: 'SUCCESS' | 'RETRY' | 'FAILED' | 'UNKNOWN';
  errorCode: string | null;
  latencyMs: number;
  attempt: number;
  traceId: string | null;
  startedAt: number;
}

export interface DeadLetterRow {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  group: string;
  api: string;
  eventId: string;
  eventType: string;
  key: string | null;
  reason: string;
  errorCode: string;
  errorMessage: string;
  attempts: number;
  deadAt: number;
  replayOf: string | null;
  traceId: string | null;
  headers: Record<string, string>;
  value: Buffer | null;
}

export interface ReplayRow {
  deadLetterId: string;
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  replayedAt: number;
  traceId: string | null;
  originalTraceId: string | null;
}

export interface SagaMessageRow {
  sagaId: string;
  topic: string;
  partition: number;
  offset: string;
  eventType: string;
  at: number;
}

export type ViewChange =
  | { kind: 'event'; row: EventRow }
  | { kind: 'attempt'; row: AttemptRow }
  | { kind: 'fact'; eventId: string; api: string; fact: ApiFact }
  | { kind: 'dead-letter'; row: DeadLetterRow }
  | { kind: 'retry'; group: string }
  | { kind: 'replay'; row: ReplayRow }
  | { kind: 'saga-version'; key: string; state: SagaSnapshot }
  | { kind: 'saga-message'; row: SagaMessageRow };

export type ConsoleRecord = DeadLetterRecord;

const epoch = (value: unknown): number | null => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const n = Number(value);
  return typeof value === 'string' && Number.isFinite(n) && value !== '' ? n : null;
};

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * What one record means for the view (pure). `decoded` is the Avro value for the domain and
 * ledger topics (undefined elsewhere, or when it could not be decoded). Dead-letter and retry
 * records are read from their headers only: their value is the original event, kept as bytes.
 */
export function projectRecord(
  record: ConsoleRecord,
  role: TopicRole,
  decoded?: { eventType: string; value: unknown },
): ViewChange[] {
  const h = record.headers;
  switch (role) {
    case 'domain': {
      const value = (decoded?.value ?? {}) as Record<string, unknown>;
      const metadata = (value.metadata ?? {}) as Record<string, unknown>;
      const eventId = h[Headers.messageId] ?? text(metadata.eventId);
      if (!eventId) return [];
      const changes: ViewChange[] = [];
      const replayOf = h[ReplayHeaders.replayOf];
      if (replayOf) {
        // A replay re-publishes the same event: the event row stays the first delivery's.
        changes.push({
          kind: 'replay',
          row: {
            deadLetterId: replayOf,
            eventId,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            replayedAt: epoch(h[ReplayHeaders.replayedAt]) ?? record.timestamp,
            traceId: traceIdOf(h[Headers.traceparent]),
            originalTraceId: traceIdOf(h[ReplayHeaders.originalTraceparent]),
          },
        });
        return changes;
      }
      const eventType = decoded?.eventType ?? h[Headers.eventType] ?? '?';
      changes.push({
        kind: 'event',
        row: {
          eventId,
          eventType,
          aggregateId: record.key,
          userId: text(value.userId) ?? text(value.customerId),
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          occurredAt:
            epoch(metadata.occurredAt) ?? epoch(h[Headers.occurredAt]) ?? record.timestamp,
          traceId: traceIdOf(h[Headers.traceparent]),
          correlationId: text(metadata.correlationId) ?? h[Headers.conversationId] ?? null,
          payload: JSON.stringify(maskPayload(decoded?.value ?? null, payloadSubject(eventType))),
        },
      });
      return changes;
    }
    case 'ledger': {
      if (!decoded) return [];
      const v = decoded.value as Record<string, unknown>;
      const metadata = (v.metadata ?? {}) as Record<string, unknown>;
      const ledgerId =
        text(metadata.eventId) ?? `${record.topic}:${record.partition}:${record.offset}`;
      const startedAt = epoch(v.startedAt) ?? record.timestamp;
      const latencyMs = Number(v.latencyMs ?? 0);
      const outcome = (text(v.outcome) ?? 'UNKNOWN') as AttemptRow['outcome'];
      const api = text(v.api) ?? '?';
      const eventIds = Array.isArray(v.eventIds)
        ? v.eventIds.filter((e) => typeof e === 'string')
        : [];
      const changes: ViewChange[] = [];
      for (const eventId of eventIds) {
        changes.push({
          kind: 'attempt',
          row: {
            ledgerId,
            eventId,
            api,
            service: text(v.service) ?? '?',
            operation: text(v.operation) ?? '?',
            idempotencyKey: text(v.idempotencyKey),
            status: Number(v.status ?? 0),
            outcome,
            errorCode: text(v.errorCode),
            latencyMs,
            attempt: Number(v.attempt ?? 1),
            traceId: text(v.traceId),
            startedAt,
          },
        });
      }
      return changes;
    }
    case 'retry': {
      const group = h[Headers.consumerGroup] ?? record.topic.replace(/\.retry\.\d+$/, '');
      const eventId = h[Headers.messageId];
      const changes: ViewChange[] = [{ kind: 'retry', group }];
      if (eventId)
        changes.push({
          kind: 'fact',
          eventId,
          api: apiOfGroup(group),
          fact: {
            kind: 'retry',
            at: record.timestamp,
            attempts: Number(h[Headers.attempts] ?? 0) || 0,
            dueAt: epoch(h[Headers.retryDueAt]),
          },
        });
      return changes;
    }
    case 'dead-letter': {
      const s = summarizeDeadLetter(record);
      const api = apiOfGroup(s.group);
      const row: DeadLetterRow = {
        id: s.id,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        group: s.group,
        api,
        eventId: s.eventId,
        eventType: s.eventType,
        key: record.key,
        reason: s.reason,
        errorCode: s.errorCode,
        errorMessage: s.errorMessage,
        attempts: s.attempts,
        deadAt: record.timestamp,
        replayOf: s.replayOf,
        traceId: s.traceId,
        headers: record.headers,
        value: record.value,
      };
      const changes: ViewChange[] = [{ kind: 'dead-letter', row }];
      if (s.eventId !== '-')
        changes.push({
          kind: 'fact',
          eventId: s.eventId,
          api,
          fact: {
            kind: 'dead-letter',
            at: record.timestamp,
            id: formatDeadLetterId(record),
            reason: s.reason,
          },
        });
      return changes;
    }
    case 'saga-state': {
      if (!record.key || !record.value) return [];
      try {
        const parsed = JSON.parse(record.value.toString('utf8')) as {
          v?: number;
          state?: SagaSnapshot;
        };
        if (parsed.v !== 1 || !parsed.state) return [];
        return [{ kind: 'saga-version', key: record.key, state: parsed.state }];
      } catch {
        // Another format version: not ours to read.
        return [];
      }
    }
    case 'saga-message':
      if (!record.key) return [];
      return [
        {
          kind: 'saga-message',
          row: {
            sagaId: record.key,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            eventType: h[Headers.eventType] ?? '?',
            at: record.timestamp,
          },
        },
      ];
  }
}
