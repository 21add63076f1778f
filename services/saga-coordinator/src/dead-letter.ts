import type { KafkaMessage, Message } from 'kafkajs';
import { Header } from './record-headers';

/** Why an input never reached a saga. Stable codes: operators filter and alert on them. */
export type DeadLetterCode =
  | 'SAGA_UNDECODABLE'
  | 'SAGA_UNKNOWN_SAGA'
  | 'SAGA_REPLY_REJECTED'
  | 'SAGA_UNEXPECTED_EVENT'
  | 'SAGA_MISSING_KEY';

export interface DeadLetter {
  code: DeadLetterCode;
  reason: string;
  sagaId?: string;
  saga?: string;
}

/**
 * The dead-letter record for an input: its key, bytes and headers unchanged (trace context
 * included, so the dead-letter path shows in the trace), plus where it came from and why.
 */
export function deadLetterRecord(
  input: KafkaMessage,
  origin: { topic: string; partition: number; consumerGroup: string },
  letter: DeadLetter,
): Message {
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value[value.length - 1]! : value;
  }
  const traceparent = headers[Header.traceparent];
  Object.assign(headers, {
    [Header.originalTopic]: origin.topic,
    [Header.originalPartition]: String(origin.partition),
    [Header.originalOffset]: input.offset,
    [Header.consumerGroup]: origin.consumerGroup,
    [Header.errorCode]: letter.code,
    [Header.errorMessage]: letter.reason,
    [Header.errorRetriable]: 'false',
    [Header.deadLetterReason]: letter.reason,
  });
  if (traceparent !== undefined) headers[Header.originalTraceparent] = traceparent;
  if (letter.sagaId !== undefined) headers[Header.sagaId] = letter.sagaId;
  if (letter.saga !== undefined) headers[Header.sagaName] = letter.saga;
  return { key: input.key, value: input.value, headers };
}
