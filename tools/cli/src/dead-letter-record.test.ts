import { describe, expect, it } from 'vitest';
import { Headers } from '@fanout/messaging';
import { CliError } from './cli-error';
import {
  ReplayHeaders,
  parseDeadLetterId,
  renderDeadLetterList,
  replayHeaders,
  replayTarget,
  summarizeDeadLetter,
} from './dead-letter-record';
import type { TopicRecord } from './topic-reader';

const FIRST = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const DEAD_LETTERING = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';

const record = (headers: Record<string, string> = {}): TopicRecord => ({
  topic: 'crm-consumer.dlq',
  partition: 2,
  offset: '17',
  key: 'user-1',
  value: Buffer.from([0]),
  timestamp: 1_700_000_000_000,
  headers: {
    [Headers.messageId]: 'e-1',
    [Headers.eventType]: 'fanout.user.UserRegistered',
    [Headers.conversationId]: 'c-1',
    [Headers.traceparent]: DEAD_LETTERING,
    [Headers.originalTraceparent]: FIRST,
    [Headers.originalTopic]: 'fanout.user.events',
    [Headers.originalPartition]: '4',
    [Headers.originalOffset]: '99',
    [Headers.consumerGroup]: 'crm-consumer',
    [Headers.errorCode]: 'FANOUT_API_CLIENT_ERROR',
    [Headers.errorMessage]: 'crm answered 422',
    [Headers.errorRetriable]: 'false',
    [Headers.attempts]: '1',
    [Headers.firstFailureAt]: '1700000000000',
    [Headers.lastFailureAt]: '1700000000500',
    [Headers.deadLetterReason]: 'non-retriable',
    ...headers,
  },
});

describe('dead-letter ids', () => {
  it('parses <dlq topic>:<partition>:<offset> and refuses ids of other topics or shapes', () => {
    expect(parseDeadLetterId('crm-consumer.dlq:2:17')).toEqual({
      topic: 'crm-consumer.dlq',
      partition: 2,
      offset: '17',
    });
    expect(parseDeadLetterId('fanout.saga.dead-letter:0:3').topic).toBe('fanout.saga.dead-letter');
    expect(() => parseDeadLetterId('fanout.user.events:0:1')).toThrow(CliError);
    expect(() => parseDeadLetterId('crm-consumer.dlq:2')).toThrow(/not a dead-letter id/);
  });
});

describe('dead-letter summary', () => {
  it('reads the failure history and the trace of the first delivery from the headers', () => {
    expect(summarizeDeadLetter(record())).toMatchObject({
      id: 'crm-consumer.dlq:2:17',
      group: 'crm-consumer',
      eventId: 'e-1',
      originalTopic: 'fanout.user.events',
      originalPartition: 4,
      originalOffset: '99',
      reason: 'non-retriable',
      errorCode: 'FANOUT_API_CLIENT_ERROR',
      attempts: 1,
      firstFailureAt: '2023-11-14T22:13:20.000Z',
      replayOf: null,
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
  });

  it('lists one aligned row per record with its replay link', () => {
    const rows = [
      summarizeDeadLetter(record()),
      summarizeDeadLetter(record({ [ReplayHeaders.replayOf]: 'crm-consumer.dlq:2:3' })),
    ];
    const lines = renderDeadLetterList(rows).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID +EVENT +KEY +REASON +ERROR +ATTEMPTS +LAST FAILURE +REPLAY OF$/);
    expect(lines[2]).toMatch(/user\.UserRegistered.*crm-consumer\.dlq:2:3$/);
    expect(renderDeadLetterList([])).toBe('no dead-lettered records');
  });
});

describe('replay headers', () => {
  it('keep the event headers, drop the failure history and link the dead-letter record and first trace', () => {
    const headers = replayHeaders(record(), 42);
    expect(headers).toEqual({
      [Headers.messageId]: 'e-1',
      [Headers.eventType]: 'fanout.user.UserRegistered',
      [Headers.conversationId]: 'c-1',
      [ReplayHeaders.replayOf]: 'crm-consumer.dlq:2:17',
      [ReplayHeaders.originalTraceparent]: FIRST,
      [ReplayHeaders.replayedAt]: '42',
    });
  });

  it('keep the first delivery of a chain of replays as the original trace', () => {
    const second = record({
      [ReplayHeaders.replayOf]: 'crm-consumer.dlq:2:3',
      [ReplayHeaders.originalTraceparent]: FIRST,
      [Headers.originalTraceparent]: DEAD_LETTERING,
    });
    const headers = replayHeaders(second);
    expect(headers[ReplayHeaders.replayOf]).toBe('crm-consumer.dlq:2:17');
    expect(headers[ReplayHeaders.originalTraceparent]).toBe(FIRST);
  });

  it('go to the original topic, and refuse a record the runtime did not write', () => {
    expect(replayTarget(record())).toBe('fanout.user.events');
    expect(() => replayTarget(record({ [Headers.originalTopic]: '' }))).toThrow(
      /has no fanout.original.topic header/,
    );
  });
});
