import { NonRetriableError, RetriableError, isFanoutError } from '@fanout/errors';
import type { FanoutError } from '@fanout/errors';

/**
 * Broker answers that refuse the record itself: sending it again can never succeed, so the event
 * that wanted to publish it belongs in the dead-letter topic.
 */
const RECORD_REFUSED = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'INVALID_TOPIC_EXCEPTION',
]);

/** The first broker error type (`KafkaJSProtocolError.type`) in an error's cause chain. */
export function kafkaErrorType(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A failed publish as a FanoutError. Only a broker refusal of the record is non-retriable.
 * Everything else is the cluster's state, not the event's, however kafkajs labels it: a broker
 * restarting (BROKER_NOT_AVAILABLE, KafkaJSLockTimeout on the metadata lock, retries exhausted)
 * passes, and a consumer that publishes a reply must retry rather than dead-letter its event.
 * The chaos suite's broker kill dead-lettered saga commands when kafkajs' own `retriable` flag
 * decided this.
 */
export function publishError(
  error: unknown,
  what: string,
  code: 'FANOUT_PUBLISH_FAILED' = 'FANOUT_PUBLISH_FAILED',
): FanoutError {
  if (isFanoutError(error)) return error;
  const kafka = (error as Error | null)?.name ?? typeof error;
  const type = kafkaErrorType(error);
  const text = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const options = { cause: error, details: { kafka, ...(type ? { brokerError: type } : {}) } };
  return type !== undefined && RECORD_REFUSED.has(type)
    ? new NonRetriableError(code, text, options)
    : new RetriableError(code, text, options);
}

/**
 * Whether a Kafka call failed for the cluster's state of the moment (worth another try): the
 * error or one in its cause chain is marked retriable. kafkajs wraps a retriable broker answer
 * (UNKNOWN_TOPIC_OR_PARTITION while a new topic's metadata spreads, LEADER_NOT_AVAILABLE) in a
 * non-retriable KafkaJSNumberOfRetriesExceeded once its own retries are spent; the cause tells.
 */
export function isTransientKafkaError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (
      isFanoutError(current)
        ? current.retriable
        : (current as { retriable?: unknown }).retriable === true
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
