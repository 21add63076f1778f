import { describe, expect, it } from 'vitest';
import { ConsoleView } from './console-view';
import { projectRecord } from './record-projection';
import type { ConsoleRecord } from './record-projection';

const EVENT_ID = '7d9a4c1e-0000-4000-8000-000000000001';
const TRACE = '0af7651916cd43dd8448eb211c80319c';

function record(
  topic: string,
  offset: number,
  headers: Record<string, string>,
  at: number,
): ConsoleRecord {
  return {
    topic,
    partition: 0,
    offset: String(offset),
    key: 'order-1',
    value: null,
    headers,
    timestamp: at,
  };
}

function ledger(api: string, outcome: string, startedAt: number, attempt = 1) {
  return {
    eventType: 'fanout.audit.ApiCallAttempted',
    value: {
      metadata: { eventId: `${api}-${attempt}-${outcome}`, occurredAt: new Date(startedAt) },
      service: `${api}-consumer`,
      api,
      operation: 'upsert',
      idempotencyKey: `${api}:${EVENT_ID}`,
      eventIds: [EVENT_ID],
      subject: 'order-1',
      status: outcome === 'SUCCESS' ? 200 : 500,
      outcome,
      errorCode: outcome === 'SUCCESS' ? null : 'FANOUT_API_SERVER_ERROR',
      latencyMs: 40,
      attempt,
      traceId: TRACE,
      startedAt: new Date(startedAt),
    },
  };
}

function viewWithOrder(view = new ConsoleView(':memory:')) {
  view.apply(
    projectRecord(
      record(
        'fanout.order.events',
        1,
        { 'messaging.message.id': EVENT_ID, traceparent: `00-${TRACE}-b7ad6b7169203331-01` },
        1_000,
      ),
      'domain',
      {
        eventType: 'fanout.order.OrderConfirmed',
        value: {
          metadata: { eventId: EVENT_ID, occurredAt: new Date(1_000), correlationId: 'c' },
          orderId: 'order-1',
          customerId: 'user-9',
        },
      },
    ),
  );
  return view;
}

describe('console view', () => {
  it('finds an event by order id, user id, event id and trace id', () => {
    const view = viewWithOrder();
    for (const q of ['order-1', 'user-9', EVENT_ID, TRACE])
      expect(
        view.events({ q }).map((e) => e.eventId),
        q,
      ).toEqual([EVENT_ID]);
    expect(view.events({ q: 'nobody' })).toEqual([]);
  });

  it('shows each API from the ledger, retry and dead-letter records, whatever their order', () => {
    const view = viewWithOrder();
    view.apply([
      ...projectRecord(
        record('fanout.audit.api-calls', 1, {}, 1_100),
        'ledger',
        ledger('crm', 'SUCCESS', 1_100),
      ),
      ...projectRecord(
        record(
          'search-consumer.retry.0',
          3,
          {
            'messaging.message.id': EVENT_ID,
            'fanout.consumer_group': 'search-consumer',
            'fanout.attempts': '3',
            'fanout.retry.due_at': '9000',
          },
          4_000,
        ),
        'retry',
      ),
      ...projectRecord(
        record(
          'email-consumer.dlq',
          7,
          {
            'messaging.message.id': EVENT_ID,
            'fanout.consumer_group': 'email-consumer',
            'fanout.original.topic': 'fanout.order.events',
            'fanout.dead_letter.reason': 'non-retriable',
            'fanout.error.code': 'FANOUT_API_BAD_RESPONSE',
          },
          2_000,
        ),
        'dead-letter',
      ),
      ...projectRecord(
        record('fanout.audit.api-calls', 0, {}, 1_500),
        'ledger',
        ledger('email', 'FAILED', 1_500),
      ),
    ]);
    const [event] = view.events();
    expect(event!.apis.crm).toMatchObject({ state: 'done', timeToDoneMs: 140 });
    expect(event!.apis.search).toMatchObject({ state: 'retrying', attempt: 3, nextTryAt: 9_000 });
    expect(event!.apis.email).toMatchObject({
      state: 'dead-lettered',
      deadLetterId: 'email-consumer.dlq:0:7',
    });
    expect(view.attempts(EVENT_ID).map((a) => `${a.api}:${a.outcome}`)).toEqual([
      'crm:SUCCESS',
      'email:FAILED',
    ]);
  });

  it('a ledger record read twice counts as one attempt', () => {
    const view = viewWithOrder();
    const changes = projectRecord(
      record('fanout.audit.api-calls', 1, {}, 1_100),
      'ledger',
      ledger('crm', 'RETRY', 1_100),
    );
    view.apply(changes);
    view.apply(changes);
    expect(view.events()[0]!.apis.crm).toMatchObject({ state: 'retrying', attempt: 1 });
  });

  it('a replayed record links the replay to the dead letter and keeps the first delivery as the event', () => {
    const view = viewWithOrder();
    view.apply(
      projectRecord(
        record(
          'fanout.order.events',
          9,
          {
            'messaging.message.id': EVENT_ID,
            'fanout.replay_of': 'crm-consumer.dlq:0:2',
            'fanout.replay.original_traceparent': `00-${TRACE}-b7ad6b7169203331-01`,
            traceparent: `00-${TRACE}-c7ad6b7169203331-01`,
          },
          5_000,
        ),
        'domain',
        { eventType: 'fanout.order.OrderConfirmed', value: { metadata: { eventId: EVENT_ID } } },
      ),
    );
    expect(view.events()).toHaveLength(1);
    expect(view.replaysOfEvent(EVENT_ID)).toMatchObject([
      { deadLetterId: 'crm-consumer.dlq:0:2', traceId: TRACE, originalTraceId: TRACE },
    ]);
    expect(view.events()[0]!.apis.crm).toMatchObject({ state: 'retrying' });
  });
});

describe('console view and its cluster', () => {
  it('starts empty when read from another Kafka cluster', () => {
    const fresh = new ConsoleView(':memory:');
    expect(fresh.bindToCluster('cluster-a')).toBe(false);
    const view = viewWithOrder(fresh);
    view.apply([], [{ topic: 't', partition: 0, nextOffset: '5' }]);
    expect(view.bindToCluster('cluster-a')).toBe(false);
    expect(view.events()).toHaveLength(1);
    expect(view.bindToCluster('cluster-b')).toBe(true);
    expect(view.events()).toEqual([]);
    expect(view.readOffsets()).toEqual([]);
  });
});
