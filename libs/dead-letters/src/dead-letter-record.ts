import { Headers } from '@fanout/messaging';

/** One record of a dead-letter topic: headers as strings, value left as bytes. */
export interface DeadLetterRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Broker timestamp, epoch ms. */
  timestamp: number;
}

/** Headers a replay (CLI or console) adds to a replayed record, so every attempt links to the one before. */
export const ReplayHeaders = {
  /** Id (`<dlq topic>:<partition>:<offset>`) of the dead-letter record this one replays. */
  replayOf: Headers.replayOf,
  /** The traceparent of the first delivery, kept across replays. */
  originalTraceparent: 'fanout.replay.original_traceparent',
  replayedAt: 'fanout.replay.at',
} as const;

/** Dead-letter topics: the consumer runtime's `<group>.dlq` and the saga coordinator's. */
export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith('.dlq') || topic === 'fanout.saga.dead-letter';
}

export interface DeadLetterId {
  topic: string;
  partition: number;
  offset: string;
}

/** `<dlq topic>:<partition>:<offset>`; Kafka topic names cannot contain `:`. */
export function formatDeadLetterId(id: DeadLetterId): string {
  return `${id.topic}:${id.partition}:${id.offset}`;
}

/** What an operator needs to know about one dead-lettered record. */
export interface DeadLetterSummary {
  id: string;
  group: string;
  eventType: string;
  eventId: string;
  key: string | null;
  originalTopic: string;
  originalPartition: number | null;
  originalOffset: string;
  reason: string;
  errorCode: string;
  errorMessage: string;
  attempts: number;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  /** The dead-letter record this one came from by a replay, if any. */
  replayOf: string | null;
  traceId: string | null;
}

export function traceIdOf(traceparent: string | undefined): string | null {
  const match = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent ?? '');
  return match ? match[1]! : null;
}

function isoOrNull(epochMs: string | undefined): string | null {
  const ms = Number(epochMs);
  return epochMs && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}

export function summarizeDeadLetter(record: DeadLetterRecord): DeadLetterSummary {
  const h = record.headers;
  const partition = Number(h[Headers.originalPartition]);
  return {
    id: formatDeadLetterId(record),
    group:
      h[Headers.consumerGroup] ??
      (record.topic.endsWith('.dlq') ? record.topic.slice(0, -'.dlq'.length) : record.topic),
    eventType: h[Headers.eventType] ?? '-',
    eventId: h[Headers.messageId] ?? '-',
    key: record.key,
    originalTopic: h[Headers.originalTopic] ?? '?',
    originalPartition: Number.isFinite(partition) ? partition : null,
    originalOffset: h[Headers.originalOffset] ?? '?',
    reason: h[Headers.deadLetterReason] ?? '?',
    errorCode: h[Headers.errorCode] ?? '?',
    errorMessage: h[Headers.errorMessage] ?? '',
    attempts: Number(h[Headers.attempts] ?? 0) || 0,
    firstFailureAt: isoOrNull(h[Headers.firstFailureAt]),
    lastFailureAt: isoOrNull(h[Headers.lastFailureAt]),
    replayOf: h[ReplayHeaders.replayOf] ?? null,
    traceId: traceIdOf(h[Headers.originalTraceparent] ?? h[Headers.traceparent]),
  };
}

/** Failure bookkeeping of the runtime: a replay starts a fresh history (linked, not merged). */
const FAILURE_HEADERS: readonly string[] = [
  Headers.originalTopic,
  Headers.originalPartition,
  Headers.originalOffset,
  Headers.originalTraceparent,
  Headers.consumerGroup,
  Headers.errorCode,
  Headers.errorMessage,
  Headers.errorRetriable,
  Headers.attempts,
  Headers.firstFailureAt,
  Headers.lastFailureAt,
  Headers.retryTier,
  Headers.retryDueAt,
  Headers.deadLetterReason,
  Headers.traceparent,
  Headers.tracestate,
];

/**
 * Headers of the replayed record: the original event headers (event id, type, correlation…),
 * without the failure history, plus the links: which dead-letter record it replays and the
 * traceparent of the first delivery. The caller injects the replay span's trace context.
 * If this replay fails too, the runtime copies these headers into the new dead-letter record,
 * so the second attempt names the first.
 */
export function replayHeaders(record: DeadLetterRecord, now = Date.now()): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers))
    if (!FAILURE_HEADERS.includes(name)) headers[name] = value;
  headers[ReplayHeaders.replayOf] = formatDeadLetterId(record);
  const first =
    record.headers[ReplayHeaders.originalTraceparent] ??
    record.headers[Headers.originalTraceparent] ??
    record.headers[Headers.traceparent];
  if (first) headers[ReplayHeaders.originalTraceparent] = first;
  headers[ReplayHeaders.replayedAt] = String(now);
  return headers;
}
