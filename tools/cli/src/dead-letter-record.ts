import { Headers } from '@fanout/messaging';
import { CliError } from './cli-error';
import type { TopicRecord } from './topic-reader';

/** Headers the CLI adds to a replayed record, so every attempt links to the one before. */
export const ReplayHeaders = {
  /** Id (`<dlq topic>:<partition>:<offset>`) of the dead-letter record this one replays. */
  replayOf: 'fanout.replay_of',
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

export function parseDeadLetterId(text: string): DeadLetterId {
  const match = /^([a-zA-Z0-9._-]+):(\d+):(\d+)$/.exec(text);
  if (!match || !isDeadLetterTopic(match[1]!))
    throw new CliError(
      `"${text}" is not a dead-letter id: use <dlq topic>:<partition>:<offset> as \`npx fanout dlq list\` prints it`,
      2,
    );
  return { topic: match[1]!, partition: Number(match[2]), offset: match[3]! };
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

export function summarizeDeadLetter(record: TopicRecord): DeadLetterSummary {
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
export function replayHeaders(record: TopicRecord, now = Date.now()): Record<string, string> {
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

/** Where a dead-letter record must be replayed to, or a one-line reason why it cannot be. */
export function replayTarget(record: TopicRecord): string {
  const topic = record.headers[Headers.originalTopic];
  if (!topic)
    throw new CliError(
      `${formatDeadLetterId(record)} has no ${Headers.originalTopic} header: it was not written by the Fanout runtime and cannot be replayed`,
    );
  return topic;
}

export function renderDeadLetterList(rows: readonly DeadLetterSummary[]): string {
  if (rows.length === 0) return 'no dead-lettered records';
  const header = ['ID', 'EVENT', 'KEY', 'REASON', 'ERROR', 'ATTEMPTS', 'LAST FAILURE', 'REPLAY OF'];
  const table = rows.map((r) => [
    r.id,
    r.eventType.replace(/^fanout\./, ''),
    r.key ?? '-',
    r.reason,
    r.errorCode,
    String(r.attempts),
    r.lastFailureAt ?? '-',
    r.replayOf ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  return [header, ...table]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderDeadLetter(
  summary: DeadLetterSummary,
  headers: Record<string, string>,
  value: unknown,
): string {
  const lines = [
    `${summary.id}  ${summary.eventType}  event ${summary.eventId}`,
    `  group        ${summary.group}`,
    `  from         ${summary.originalTopic}:${summary.originalPartition ?? '?'}:${summary.originalOffset}  key ${summary.key ?? '-'}`,
    `  reason       ${summary.reason} · ${summary.errorCode} after ${summary.attempts} attempt(s)`,
    `  error        ${summary.errorMessage}`,
    `  failures     first ${summary.firstFailureAt ?? '-'} · last ${summary.lastFailureAt ?? '-'}`,
    `  trace        ${summary.traceId ?? '-'}${summary.traceId ? `  (npx fanout trace ${summary.traceId})` : ''}`,
  ];
  if (summary.replayOf) lines.push(`  replay of    ${summary.replayOf}`);
  lines.push('  headers');
  for (const name of Object.keys(headers).sort()) lines.push(`    ${name}: ${headers[name]}`);
  lines.push(
    '  value',
    ...JSON.stringify(value, jsonReplacer, 2)
      .split('\n')
      .map((l) => `    ${l}`),
  );
  return lines.join('\n');
}

/** Avro values as JSON: Dates as ISO strings, bytes as base64, bigints as strings. */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return raw.toISOString();
  if (Buffer.isBuffer(raw)) return raw.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
