import { CliError } from './cli-error';
import { isDeadLetterTopic, replayTarget as libReplayTarget } from '@fanout/dead-letters';
import type { DeadLetterId, DeadLetterSummary } from '@fanout/dead-letters';
import type { TopicRecord } from './topic-reader';

export {
  ReplayHeaders,
  isDeadLetterTopic,
  formatDeadLetterId,
  traceIdOf,
  summarizeDeadLetter,
  replayHeaders,
} from '@fanout/dead-letters';
export type { DeadLetterId, DeadLetterSummary } from '@fanout/dead-letters';

export function parseDeadLetterId(text: string): DeadLetterId {
  const match = /^([a-zA-Z0-9._-]+):(\d+):(\d+)$/.exec(text);
  if (!match || !isDeadLetterTopic(match[1]!))
    throw new CliError(
      `"${text}" is not a dead-letter id: use <dlq topic>:<partition>:<offset> as \`npx fanout dlq list\` prints it`,
      2,
    );
  return { topic: match[1]!, partition: Number(match[2]), offset: match[3]! };
}

/** Where a dead-letter record must be replayed to, or a one-line reason why it cannot be. */
export function replayTarget(record: TopicRecord): string {
  try {
    return libReplayTarget(record);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
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
