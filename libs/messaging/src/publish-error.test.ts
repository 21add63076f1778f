import { describe, expect, it } from 'vitest';
import { NonRetriableError } from '@fanout/errors';
import { isTransientKafkaError, kafkaErrorType, publishError } from './publish-error';

/** Errors shaped as kafkajs 2.2.4 builds them (a protocol error, and its retrier's wrappers). */
const protocolError = (type: string, retriable: boolean) =>
  Object.assign(new Error(`broker said ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    retriable,
  });
const gaveUp = (name: string, cause: unknown) =>
  Object.assign(new Error('wrapped'), { name, retriable: false, cause });

describe('publishError', () => {
  it('keeps a broker restart retriable although kafkajs marks BROKER_NOT_AVAILABLE non-retriable', () => {
    const error = publishError(
      gaveUp('KafkaJSNonRetriableError', protocolError('BROKER_NOT_AVAILABLE', false)),
      'publish failed',
    );
    expect(error).toMatchObject({ code: 'FANOUT_PUBLISH_FAILED', retriable: true });
    expect(error.details).toMatchObject({ brokerError: 'BROKER_NOT_AVAILABLE' });
  });

  it('keeps a timed-out metadata lock retriable (KafkaJSLockTimeout is non-retriable in kafkajs)', () => {
    const lock = Object.assign(new Error('Timeout while acquiring lock (1 waiting locks)'), {
      name: 'KafkaJSLockTimeout',
      retriable: false,
    });
    expect(publishError(lock, 'publish failed')).toMatchObject({ retriable: true });
  });

  it('keeps exhausted kafkajs retries and a refused producer id retriable', () => {
    expect(
      publishError(gaveUp('KafkaJSNumberOfRetriesExceeded', new Error('ECONNREFUSED')), 'p'),
    ).toMatchObject({ retriable: true });
    expect(publishError(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', false), 'p')).toMatchObject({
      retriable: true,
    });
  });

  it('makes a record the broker refuses non-retriable, with the broker error named', () => {
    for (const type of ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']) {
      const error = publishError(
        gaveUp('KafkaJSNonRetriableError', protocolError(type, false)),
        'p',
      );
      expect(error).toBeInstanceOf(NonRetriableError);
      expect(error.message).toBe('p: wrapped');
      expect(error.details).toMatchObject({ kafka: 'KafkaJSNonRetriableError', brokerError: type });
    }
  });

  it('passes a FanoutError through unchanged', () => {
    const original = new NonRetriableError('FANOUT_SCHEMA_INVALID', 'no eventId');
    expect(publishError(original, 'p')).toBe(original);
  });
});

describe('kafkaErrorType', () => {
  it('finds the broker error type a few causes down, and nothing in an error without one', () => {
    expect(kafkaErrorType(gaveUp('A', gaveUp('B', protocolError('INVALID_RECORD', false))))).toBe(
      'INVALID_RECORD',
    );
    expect(kafkaErrorType(new Error('plain'))).toBeUndefined();
    expect(kafkaErrorType(undefined)).toBeUndefined();
  });
});

describe('isTransientKafkaError', () => {
  it('sees a retriable broker answer inside kafkajs retries-exceeded as transient', () => {
    const cause = Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    });
    const exhausted = Object.assign(new Error(cause.message), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause,
    });
    expect(isTransientKafkaError(exhausted)).toBe(true);
  });

  it('does not retry what is wrong for good: a refused topic creation or a plain error', () => {
    const refused = Object.assign(new Error('Replication factor is invalid'), {
      name: 'KafkaJSProtocolError',
      type: 'INVALID_REPLICATION_FACTOR',
      retriable: false,
    });
    expect(isTransientKafkaError(refused)).toBe(false);
    expect(isTransientKafkaError(new Error('boom'))).toBe(false);
  });
});
