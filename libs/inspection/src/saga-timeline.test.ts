import { describe, expect, it } from 'vitest';
import { renderSagaTimeline, sagaTimeline } from './saga-timeline';
import type { SagaSnapshot } from './saga-timeline';

const T0 = 1_700_000_000_000;
const step = (
  status: string,
  startedAt?: number,
  finishedAt?: number,
  compensationAttempts = 0,
) => ({
  status,
  ...(startedAt === undefined ? {} : { startedAt }),
  ...(finishedAt === undefined ? {} : { finishedAt }),
  compensationAttempts,
});
const snapshot = (version: number, extra: Partial<SagaSnapshot>): SagaSnapshot => ({
  saga: 'order',
  sagaId: 'o-1',
  status: 'running',
  steps: {},
  succeededOrder: [],
  startedAt: T0,
  updatedAt: T0,
  version,
  ...extra,
});

// A cancelled order: stock reserved, payment declined, stock released.
const versions: SagaSnapshot[] = [
  snapshot(1, {
    steps: {
      inventory: step('started', T0),
      payment: step('started', T0),
      shipping: step('pending'),
    },
  }),
  snapshot(2, {
    updatedAt: T0 + 120,
    steps: {
      inventory: step('succeeded', T0, T0 + 120),
      payment: step('started', T0),
      shipping: step('pending'),
    },
  }),
  snapshot(3, {
    status: 'compensating',
    updatedAt: T0 + 300,
    steps: {
      inventory: step('compensating', T0, T0 + 120, 1),
      payment: step('failed', T0, T0 + 300),
      shipping: step('pending'),
    },
    failure: { code: 'PAYMENT_DECLINED', message: 'card declined', step: 'payment' },
  }),
  snapshot(4, {
    status: 'cancelled',
    updatedAt: T0 + 450,
    endedAt: T0 + 450,
    steps: {
      inventory: step('compensated', T0, T0 + 120, 1),
      payment: step('failed', T0, T0 + 300),
      shipping: step('pending'),
    },
    failure: { code: 'PAYMENT_DECLINED', message: 'card declined', step: 'payment' },
  }),
];

describe('saga timeline', () => {
  it('turns state versions into ordered transitions, compensations and the outcome with its reason', () => {
    const t = sagaTimeline([...versions].reverse(), [
      {
        topic: 'fanout.payment.commands',
        eventType: 'fanout.payment.AuthorizePayment',
        at: T0 + 5,
      },
      { topic: 'fanout.saga.replies', eventType: 'fanout.payment.PaymentDeclined', at: T0 + 290 },
      {
        topic: 'fanout.inventory.commands',
        eventType: 'fanout.inventory.ReleaseInventory',
        at: T0 + 310,
      },
    ]);
    expect(t).toMatchObject({ status: 'cancelled', durationMs: 450, versionsRead: 4 });
    expect(t.entries.map((e) => [e.offsetMs, e.kind, e.what])).toEqual([
      [0, 'saga', 'saga order started (running)'],
      [0, 'step', 'inventory: pending → started'],
      [0, 'step', 'payment: pending → started'],
      [5, 'command', 'payment.AuthorizePayment on fanout.payment.commands'],
      [120, 'step', 'inventory: started → succeeded'],
      [290, 'reply', 'payment.PaymentDeclined on fanout.saga.replies'],
      [300, 'saga', 'saga running → compensating'],
      [300, 'compensation', 'inventory: succeeded → compensating'],
      [300, 'step', 'payment: started → failed'],
      [310, 'compensation', 'inventory.ReleaseInventory on fanout.inventory.commands'],
      [450, 'saga', 'saga compensating → cancelled'],
      [450, 'compensation', 'inventory: compensating → compensated'],
      [450, 'outcome', 'outcome: cancelled (PAYMENT_DECLINED at payment: card declined)'],
    ]);
  });

  it('still gives every step its timing when compaction left only the latest version', () => {
    const t = sagaTimeline([versions[3]!]);
    expect(t.steps).toEqual([
      {
        name: 'inventory',
        status: 'compensated',
        startOffsetMs: 0,
        durationMs: 120,
        compensationAttempts: 1,
      },
      {
        name: 'payment',
        status: 'failed',
        startOffsetMs: 0,
        durationMs: 300,
        compensationAttempts: 0,
      },
      {
        name: 'shipping',
        status: 'pending',
        startOffsetMs: null,
        durationMs: null,
        compensationAttempts: 0,
      },
    ]);
    const text = renderSagaTimeline(t);
    expect(text.split('\n')[0]).toBe(
      `saga order o-1 · cancelled (PAYMENT_DECLINED: card declined) · 450 ms · started ${new Date(T0).toISOString()}`,
    );
    expect(text).toMatch(/inventory +compensated +at \+0 ms +took 120 ms +compensations sent 1/);
  });
});
