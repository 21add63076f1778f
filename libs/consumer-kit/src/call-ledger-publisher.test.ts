import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { ApiCallAttempted } from '@fanout/contracts';
import type { CallAttempt } from '@fanout/downstream';
import { createLogger } from '@fanout/telemetry';
import { CallLedgerPublisher } from './call-ledger-publisher';
import { runInCallScope } from './call-scope';

const attempt = (overrides: Partial<CallAttempt> = {}): CallAttempt => ({
  api: 'crm',
  operation: 'upsertContact',
  idempotencyKey: 'key-1',
  status: 201,
  latencyMs: 12.4,
  attempt: 1,
  traceId: undefined,
  outcome: 'success',
  errorCode: undefined,
  startedAt: 1_700_000_000_000,
  ...overrides,
});

/** A stand-in Kafka whose producer records sends, or fails them while `down`. */
function fakeKafka() {
  const sent: Array<{ topic: string; messages: Array<{ key: string; value: Buffer }> }> = [];
  const state = { down: false };
  const kafka = {
    producer: () => ({
      connect: async () => {
        if (state.down) throw new Error('broker down');
      },
      disconnect: async () => undefined,
      send: async (record: (typeof sent)[number]) => {
        if (state.down) throw new Error('broker down');
        sent.push(record);
        return [];
      },
    }),
  } as unknown as Kafka;
  return { kafka, sent, state };
}

const encoded: ApiCallAttempted[] = [];
const codec = {
  encode: async (_type: string, value: unknown) => {
    encoded.push(value as ApiCallAttempted);
    return Buffer.from('x');
  },
};
const logger = createLogger({ name: 'test', level: 'silent' });

describe('CallLedgerPublisher', () => {
  it('records an attempt with the events of its call scope, keyed by the aggregate id', async () => {
    const { kafka, sent } = fakeKafka();
    const ledger = new CallLedgerPublisher({
      kafka,
      codec,
      service: 'crm-consumer',
      topic: 'audit',
      logger,
    });
    runInCallScope({ eventIds: ['e-1'], subject: 'user-1', correlationId: 'corr-1' }, () =>
      ledger.record(attempt()),
    );
    await ledger.flush();
    expect(sent[0]!.messages[0]!.key).toBe('user-1');
    expect(encoded.at(-1)).toMatchObject({
      service: 'crm-consumer',
      api: 'crm',
      eventIds: ['e-1'],
      subject: 'user-1',
      status: 201,
      outcome: 'SUCCESS',
      latencyMs: 12,
      idempotencyKey: 'key-1',
      metadata: { correlationId: 'corr-1', causationId: 'e-1', producer: 'crm-consumer' },
    });
  });

  it('keys a call outside any event by its idempotency key and reports no answer as status 0', async () => {
    const { kafka, sent } = fakeKafka();
    const ledger = new CallLedgerPublisher({ kafka, codec, service: 's', topic: 'audit', logger });
    ledger.record(
      attempt({ status: undefined, outcome: 'retry', errorCode: 'FANOUT_API_TIMEOUT' }),
    );
    await ledger.flush();
    expect(sent[0]!.messages[0]!.key).toBe('key-1');
    expect(encoded.at(-1)).toMatchObject({
      status: 0,
      outcome: 'RETRY',
      errorCode: 'FANOUT_API_TIMEOUT',
      eventIds: [],
    });
  });

  it('never throws while Kafka is down: it buffers, drops the oldest beyond its bound, and publishes later', async () => {
    const { kafka, sent, state } = fakeKafka();
    state.down = true;
    const ledger = new CallLedgerPublisher({
      kafka,
      codec,
      service: 's',
      topic: 'audit',
      logger,
      maxBuffered: 3,
    });
    for (let i = 1; i <= 5; i += 1)
      expect(() => ledger.record(attempt({ attempt: i }))).not.toThrow();
    await ledger.flush();
    expect(ledger.stats).toEqual({ buffered: 3, published: 0, dropped: 2 });
    state.down = false;
    await ledger.flush();
    expect(ledger.stats).toEqual({ buffered: 0, published: 3, dropped: 2 });
    expect(sent.flatMap((s) => s.messages)).toHaveLength(3);
  });

  it('flushRecorded resolves only once every earlier record is published, and rejects while Kafka refuses them', async () => {
    const { kafka, sent, state } = fakeKafka();
    const ledger = new CallLedgerPublisher({ kafka, codec, service: 's', topic: 'audit', logger });
    state.down = true;
    for (let i = 1; i <= 3; i += 1) ledger.record(attempt({ attempt: i }));
    await expect(ledger.flushRecorded()).rejects.toMatchObject({
      code: 'FANOUT_PUBLISH_FAILED',
      retriable: true,
    });
    expect(sent).toHaveLength(0);
    state.down = false;
    await ledger.flushRecorded();
    expect(sent.flatMap((s) => s.messages)).toHaveLength(3);
    // Nothing new: resolves at once, without another send.
    await ledger.flushRecorded();
    expect(sent).toHaveLength(1);
  });

  it('flushRecorded waits for a publish round already under way and covers what was recorded meanwhile', async () => {
    const { kafka, sent } = fakeKafka();
    const ledger = new CallLedgerPublisher({ kafka, codec, service: 's', topic: 'audit', logger });
    ledger.record(attempt({ attempt: 1 }));
    const first = ledger.flush();
    ledger.record(attempt({ attempt: 2 }));
    await ledger.flushRecorded();
    await first;
    expect(sent.flatMap((s) => s.messages)).toHaveLength(2);
    expect(ledger.stats).toMatchObject({ buffered: 0, published: 2 });
  });
});
