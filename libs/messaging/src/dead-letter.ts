import { scrubString } from '@fanout/telemetry';
import { Headers } from './message-headers';

/** What the runtime knows about an event's failures so far. */
export interface FailureRecord {
  /** Where the event was first consumed (kept across retry tiers). */
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  errorCode: string;
  errorMessage: string;
  retriable: boolean;
  /** Handler attempts so far, across all deliveries. */
  attempts: number;
  firstFailureAt: number;
  lastFailureAt: number;
}

const MAX_ERROR_MESSAGE = 1_024;

/**
 * Reads the failure history that earlier deliveries wrote into a retry-tier record, or the
 * origin of a first delivery. Attempts and first failure time accumulate across tiers.
 */
export function priorFailure(
  headers: Record<string, string>,
  topic: string,
  partition: number,
  offset: string,
): {
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  attempts: number;
  firstFailureAt: number | null;
} {
  const originalTopic = headers[Headers.originalTopic];
  if (!originalTopic) {
    return {
      originalTopic: topic,
      originalPartition: partition,
      originalOffset: offset,
      attempts: 0,
      firstFailureAt: null,
    };
  }
  const first = Number(headers[Headers.firstFailureAt]);
  return {
    originalTopic,
    originalPartition: Number(headers[Headers.originalPartition] ?? partition),
    originalOffset: headers[Headers.originalOffset] ?? offset,
    attempts: Number(headers[Headers.attempts] ?? 0) || 0,
    firstFailureAt: Number.isFinite(first) ? first : null,
  };
}

/**
 * Headers of a retry-tier or dead-letter record: the original record's headers (event id,
 * type, correlation…), the failure history, and, for a tier, the time it becomes due. The
 * caller injects the current trace context over `traceparent`; the original one is kept.
 */
export function failureHeaders(
  original: Record<string, string>,
  failure: FailureRecord,
  groupId: string,
  extra: { tier?: number; dueAt?: number; reason?: string } = {},
): Record<string, string> {
  const headers: Record<string, string> = { ...original };
  delete headers[Headers.retryTier];
  delete headers[Headers.retryDueAt];
  const traceparent = original[Headers.traceparent];
  if (traceparent && !original[Headers.originalTraceparent]) {
    headers[Headers.originalTraceparent] = traceparent;
  }
  headers[Headers.originalTopic] = failure.originalTopic;
  headers[Headers.originalPartition] = String(failure.originalPartition);
  headers[Headers.originalOffset] = failure.originalOffset;
  headers[Headers.consumerGroup] = groupId;
  headers[Headers.errorCode] = failure.errorCode;
  // Free text from any library or API: scrubbed by the same value rules as logs and spans, so a
  // message quoting an email, a bearer token or a secret query value does not outlive the event
  // in every replica of the retry and dead-letter topics.
  headers[Headers.errorMessage] = scrubString(failure.errorMessage).slice(0, MAX_ERROR_MESSAGE);
  headers[Headers.errorRetriable] = String(failure.retriable);
  headers[Headers.attempts] = String(failure.attempts);
  headers[Headers.firstFailureAt] = String(failure.firstFailureAt);
  headers[Headers.lastFailureAt] = String(failure.lastFailureAt);
  if (extra.tier !== undefined) headers[Headers.retryTier] = String(extra.tier);
  if (extra.dueAt !== undefined) headers[Headers.retryDueAt] = String(extra.dueAt);
  if (extra.reason !== undefined) headers[Headers.deadLetterReason] = extra.reason;
  return headers;
}
