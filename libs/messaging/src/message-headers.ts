import type { IHeaders } from 'kafkajs';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/** Header names from CONTRIBUTING.md ("Kafka record conventions") and the runtime's own. */
export const Headers = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  eventType: 'fanout.event_type',
  causationId: 'fanout.causation_id',
  producer: 'fanout.producer',
  occurredAt: 'fanout.occurred_at',
  // Written by the consumer runtime on retry-tier and dead-letter records.
  originalTopic: 'fanout.original.topic',
  originalPartition: 'fanout.original.partition',
  originalOffset: 'fanout.original.offset',
  originalTraceparent: 'fanout.original.traceparent',
  consumerGroup: 'fanout.consumer_group',
  errorCode: 'fanout.error.code',
  errorMessage: 'fanout.error.message',
  errorRetriable: 'fanout.error.retriable',
  attempts: 'fanout.attempts',
  firstFailureAt: 'fanout.first_failure_at',
  lastFailureAt: 'fanout.last_failure_at',
  retryTier: 'fanout.retry.tier',
  retryDueAt: 'fanout.retry.due_at',
  deadLetterReason: 'fanout.dead_letter.reason',
  /** Written by a replay (`fanout dlq replay`, the console): the dead letter it replays. */
  replayOf: 'fanout.replay_of',
} as const;

/** Kafka headers as plain strings (the last value wins for a repeated header). */
export function readHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name in headers) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined || value === null) continue;
    out[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return out;
}

export const headerGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** One header of a raw kafkajs record as a string (the last value of a repeated header). */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/**
 * Reads trace context straight from a raw kafkajs record's headers: only the headers the
 * propagators ask for are decoded, not every header of every record.
 */
export const kafkaHeaderGetter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => headerValue(carrier, key),
};
