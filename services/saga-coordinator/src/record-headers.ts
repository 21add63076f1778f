import type { IHeaders } from 'kafkajs';

/** Header names from CONTRIBUTING.md ("Kafka record conventions") and the dead-letter contract. */
export const Header = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  eventType: 'fanout.event_type',
  causationId: 'fanout.causation_id',
  producer: 'fanout.producer',
  occurredAt: 'fanout.occurred_at',
  originalTopic: 'fanout.original.topic',
  originalPartition: 'fanout.original.partition',
  originalOffset: 'fanout.original.offset',
  originalTraceparent: 'fanout.original.traceparent',
  consumerGroup: 'fanout.consumer_group',
  errorCode: 'fanout.error.code',
  errorMessage: 'fanout.error.message',
  errorRetriable: 'fanout.error.retriable',
  deadLetterReason: 'fanout.dead_letter.reason',
  sagaId: 'fanout.saga.id',
  sagaName: 'fanout.saga.name',
} as const;

/** Kafka headers as plain strings (the last value wins for a repeated header). */
export function readHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined || value === null) continue;
    out[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return out;
}
