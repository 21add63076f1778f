import { describe, expect, it } from 'vitest';
import { SagaEngine, defineSaga, parallel, step } from './index';
import type { Decision, Emission, SagaState } from './index';

interface Order {
  orderId: string;
  items: number;
}
interface Ctx {
  orderId: string;
  items: number;
  authorizationId?: string;
}

const reserveInventory = step<Ctx>({
  name: 'reserveInventory',
  action: { eventType: 'ReserveInventory', build: (c) => ({ orderId: c.orderId }) },
  compensation: { eventType: 'ReleaseInventory', build: (c) => ({ orderId: c.orderId }) },
  succeededOn: ['InventoryReserved'],
  failedOn: ['InventoryReservationFailed'],
  compensatedOn: ['InventoryReleased'],
  timeoutMs: 1_000,
  reason: (r) => ({
    code: String(r.code ?? 'OUT_OF_STOCK'),
    message: 'out of stock',
    step: 'reserveInventory',
  }),
});
const authorizePayment = step<Ctx>({
  name: 'authorizePayment',
  action: { eventType: 'AuthorizePayment', build: (c) => ({ orderId: c.orderId }) },
  compensation: {
    eventType: 'VoidPayment',
    build: (c) => ({ orderId: c.orderId, authorizationId: c.authorizationId ?? null }),
  },
  succeededOn: ['PaymentAuthorized'],
  failedOn: ['PaymentDeclined'],
  compensatedOn: ['PaymentVoided'],
  timeoutMs: 1_000,
  collect: (c, r) => ({ ...c, authorizationId: String(r.authorizationId) }),
  reason: () => ({ code: 'PAYMENT_DECLINED', message: 'card declined', step: 'authorizePayment' }),
});
const createShipment = step<Ctx>({
  name: 'createShipment',
  action: { eventType: 'CreateShipment', build: (c) => ({ orderId: c.orderId }) },
  succeededOn: ['ShipmentCreated'],
  failedOn: ['ShipmentFailed'],
  timeoutMs: 2_000,
  reason: () => ({ code: 'SHIPPING_FAILED', message: 'no carrier', step: 'createShipment' }),
});

const orderSaga = defineSaga<Order, Ctx>({
  name: 'order',
  startsOn: 'OrderPlaced',
  sagaId: (o) => o.orderId,
  initialContext: (o) => ({ orderId: o.orderId, items: o.items }),
  precheck: (c) =>
    c.items === 0 ? { code: 'INVALID_ORDER', message: 'order has no items' } : undefined,
  flow: [parallel(reserveInventory, authorizePayment), createShipment],
  completed: { eventType: 'OrderConfirmed', build: (c) => ({ orderId: c.orderId }) },
  cancelled: {
    eventType: 'OrderCancelled',
    build: (c, _id, reason) => ({ orderId: c.orderId, reason: reason.code }),
  },
  timeoutMs: 30_000,
  compensationTimeoutMs: 500,
  compensationAttempts: 2,
});

const engine = new SagaEngine(orderSaga);
let seq = 0;
const id = () => `input-${++seq}`;

function applied<C>(d: Decision<C>): { state: SagaState<C>; emit: Emission[] } {
  if (d.outcome !== 'applied') throw new Error(`expected applied, got ${d.outcome}: ${d.reason}`);
  return d;
}
const types = (emit: Emission[]) => emit.map((e) => e.eventType);

/** Runs a saga by feeding replies; returns every emission and the final state. */
function run(replies: Array<[string, Record<string, unknown>?]>, now = 0) {
  let { state, emit } = applied(engine.start({ orderId: 'o-1', items: 2 }, id(), now));
  const all = [...emit];
  for (const [type, payload] of replies) {
    ({ state, emit } = applied(engine.reply(state, type, payload ?? {}, id(), now)));
    all.push(...emit);
  }
  return { state, all };
}

describe('saga engine', () => {
  it('starts the parallel group at once, then ships, then confirms', () => {
    const { state, emit } = applied(engine.start({ orderId: 'o-1', items: 1 }, id(), 0));
    expect(types(emit)).toEqual(['ReserveInventory', 'AuthorizePayment']);
    const a = applied(engine.reply(state, 'InventoryReserved', {}, id(), 1));
    expect(a.emit).toEqual([]); // waits for the whole parallel group
    const b = applied(
      engine.reply(a.state, 'PaymentAuthorized', { authorizationId: 'auth-9' }, id(), 2),
    );
    expect(types(b.emit)).toEqual(['CreateShipment']);
    expect(b.state.context.authorizationId).toBe('auth-9');
    const c = applied(engine.reply(b.state, 'ShipmentCreated', {}, id(), 3));
    expect(types(c.emit)).toEqual(['OrderConfirmed']);
    expect(c.state.status).toBe('completed');
  });

  // Compensation coverage: a failure injected at every step in turn.
  const cases = [
    {
      failing: 'reserveInventory',
      replies: [
        ['PaymentAuthorized', { authorizationId: 'a1' }],
        ['InventoryReservationFailed', { code: 'OUT_OF_STOCK' }],
      ],
      compensations: ['VoidPayment'],
      acks: ['PaymentVoided'],
      reason: 'OUT_OF_STOCK',
    },
    {
      failing: 'authorizePayment',
      replies: [['InventoryReserved'], ['PaymentDeclined']],
      compensations: ['ReleaseInventory'],
      acks: ['InventoryReleased'],
      reason: 'PAYMENT_DECLINED',
    },
    {
      failing: 'createShipment',
      replies: [
        ['InventoryReserved'],
        ['PaymentAuthorized', { authorizationId: 'a1' }],
        ['ShipmentFailed'],
      ],
      compensations: ['VoidPayment', 'ReleaseInventory'],
      acks: ['PaymentVoided', 'InventoryReleased'],
      reason: 'SHIPPING_FAILED',
    },
  ] as const;
  for (const c of cases) {
    it(`a failure in ${c.failing} compensates every completed step exactly once, in reverse order, then cancels`, () => {
      let { state, all } = run(c.replies.map(([t, p]) => [t, p ? { ...p } : undefined]));
      const compensations = all.filter((e) => e.kind === 'compensation');
      expect(types(compensations)).toEqual(c.compensations);
      expect(all.filter((e) => e.kind === 'terminal')).toEqual([]); // not before the acks
      for (const ack of c.acks) {
        const d = applied(engine.reply(state, ack, {}, id(), 5));
        state = d.state;
        all = [...all, ...d.emit];
      }
      const terminals = all.filter((e) => e.kind === 'terminal');
      expect(terminals).toEqual([
        {
          kind: 'terminal',
          eventType: 'OrderCancelled',
          payload: { orderId: 'o-1', reason: c.reason },
        },
      ]);
      expect(state.status).toBe('cancelled');
      expect(state.failure?.step).toBe(c.failing);
    });
  }

  it('a failure in a parallel group waits for the sibling before compensating it', () => {
    const { state, all } = run([['PaymentDeclined']]);
    expect(all.filter((e) => e.kind === 'compensation')).toEqual([]);
    const d = applied(engine.reply(state, 'InventoryReserved', {}, id(), 1));
    expect(types(d.emit)).toEqual(['ReleaseInventory']);
    expect(d.state.status).toBe('compensating');
  });

  it('a redelivered reply (same id) is ignored and changes nothing', () => {
    const { state } = applied(engine.start({ orderId: 'o-2', items: 1 }, id(), 0));
    const a = applied(engine.reply(state, 'InventoryReserved', {}, 'reply-1', 1));
    expect(engine.reply(a.state, 'InventoryReserved', {}, 'reply-1', 2)).toMatchObject({
      outcome: 'ignored',
    });
  });

  it('duplicate and late replies never produce a second terminal event', () => {
    const { state } = run([
      ['InventoryReserved'],
      ['PaymentAuthorized', { authorizationId: 'x' }],
      ['ShipmentCreated'],
    ]);
    expect(state.status).toBe('completed');
    for (const type of [
      'ShipmentCreated',
      'ShipmentFailed',
      'PaymentDeclined',
      'InventoryReserved',
    ])
      expect(engine.reply(state, type, {}, id(), 9).outcome).toBe('ignored');
    expect(engine.tick(state, 10_000_000).outcome).toBe('ignored');
  });

  it('rejects a reply for a step the saga has not started, leaving the state untouched', () => {
    const { state } = applied(engine.start({ orderId: 'o-3', items: 1 }, id(), 0));
    const before = JSON.stringify(state);
    expect(engine.reply(state, 'ShipmentCreated', {}, id(), 1)).toMatchObject({
      outcome: 'rejected',
    });
    expect(engine.reply(state, 'SomethingElse', {}, id(), 1)).toMatchObject({
      outcome: 'rejected',
    });
    expect(engine.reply(state, 'InventoryReleased', {}, id(), 1)).toMatchObject({
      outcome: 'rejected',
    });
    expect(JSON.stringify(state)).toBe(before);
  });

  it('a step that times out fails the saga and is itself compensated, since its outcome is unknown', () => {
    const { state } = run([['PaymentAuthorized', { authorizationId: 'a' }]], 0);
    expect(engine.nextDeadline(state)).toBe(1_000);
    expect(engine.tick(state, 999).outcome).toBe('ignored');
    const t = applied(engine.tick(state, 1_000));
    expect(types(t.emit)).toEqual(['ReleaseInventory', 'VoidPayment']);
    expect(t.state.failure).toMatchObject({ code: 'STEP_TIMED_OUT', step: 'reserveInventory' });
    // The late success of the timed-out step changes nothing.
    expect(engine.reply(t.state, 'InventoryReserved', {}, id(), 1_100).outcome).toBe('ignored');
  });

  it('a stuck saga times out as a whole and compensates', () => {
    const { state } = run([['InventoryReserved'], ['PaymentAuthorized', { authorizationId: 'a' }]]);
    // createShipment has 2 s; pretend it keeps hanging past the saga's 30 s
    const t = applied(engine.tick(state, 30_000));
    expect(t.state.failure?.code).toMatch(/TIMED_OUT/);
    expect(types(t.emit)).toEqual(['VoidPayment', 'ReleaseInventory']);
  });

  it('resends an unacknowledged compensation, then ends cancelled and flags it for an operator', () => {
    let { state } = run([['InventoryReserved'], ['PaymentDeclined']], 0);
    expect(state.steps.reserveInventory?.status).toBe('compensating');
    const resend = applied(engine.tick(state, 500));
    expect(types(resend.emit)).toEqual(['ReleaseInventory']);
    state = resend.state;
    const giveUp = applied(engine.tick(state, 1_000));
    expect(types(giveUp.emit)).toEqual(['OrderCancelled']);
    expect(giveUp.state.steps.reserveInventory?.status).toBe('compensation_unconfirmed');
  });

  it('cancels an order with no items at once, with a clear reason and no commands', () => {
    const { state, emit } = applied(engine.start({ orderId: 'o-4', items: 0 }, id(), 0));
    expect(emit).toEqual([
      {
        kind: 'terminal',
        eventType: 'OrderCancelled',
        payload: { orderId: 'o-4', reason: 'INVALID_ORDER' },
      },
    ]);
    expect(state.status).toBe('cancelled');
  });

  it('keeps its state as plain JSON, so a restarted coordinator resumes from a changelog', () => {
    const { state } = run([['InventoryReserved']]);
    const restored = JSON.parse(JSON.stringify(state)) as typeof state;
    const d = applied(
      engine.reply(restored, 'PaymentAuthorized', { authorizationId: 'z' }, id(), 2),
    );
    expect(types(d.emit)).toEqual(['CreateShipment']);
  });

  it('tells the cancelled event which steps were undone, in the order they were compensated', () => {
    const withUndone = new SagaEngine(
      defineSaga<Order, Ctx>({
        ...orderSaga,
        cancelled: {
          eventType: 'OrderCancelled',
          build: (c, _id, reason, undone) => ({ orderId: c.orderId, reason: reason.code, undone }),
        },
      }),
    );
    let { state } = applied(withUndone.start({ orderId: 'o-1', items: 1 }, id(), 0));
    state = applied(withUndone.reply(state, 'PaymentAuthorized', {}, id(), 1)).state;
    state = applied(withUndone.reply(state, 'InventoryReserved', {}, id(), 2)).state;
    state = applied(withUndone.reply(state, 'ShipmentFailed', {}, id(), 3)).state;
    state = applied(withUndone.reply(state, 'PaymentVoided', {}, id(), 4)).state;
    const last = applied(withUndone.reply(state, 'InventoryReleased', {}, id(), 5));
    expect(last.emit[0]?.payload).toMatchObject({
      undone: ['reserveInventory', 'authorizePayment'],
    });
  });

  it('refuses a definition with a duplicate step name or a reply type owned by two steps', () => {
    expect(() =>
      defineSaga({ ...orderSaga, flow: [reserveInventory, { ...reserveInventory }] }),
    ).toThrow(/used twice/);
    expect(() =>
      defineSaga({
        ...orderSaga,
        flow: [reserveInventory, { ...createShipment, succeededOn: ['InventoryReserved'] }],
      }),
    ).toThrow(/belongs to both/);
  });
});
