import { describe, expect, it } from 'vitest';
import type { DeadLetter, PoisonRecord } from '../../chaos/dead-letters';
import { evaluate, verifyInvariants } from '../../chaos/invariants';
import type { Evaluation, Evidence, OrderOutcome, ScenarioLedger } from '../../chaos/invariants';
import type { EffectKey, EffectsReport } from '../../chaos/sandbox-admin';

// The chaos suite's four post-checks on hand-made evidence: each must hold on a consistent
// picture and fail, naming the culprit, when one piece is missing, doubled or stuck.

const users = [
  { id: 'u1', acceptedAt: 0 },
  { id: 'u2', acceptedAt: 0 },
];
const orders = [
  { id: 'o1', customerId: 'u1', declineExpected: false, acceptedAt: 0 },
  { id: 'o2', customerId: 'u2', declineExpected: true, acceptedAt: 0 },
];
const poison: PoisonRecord = {
  id: 'p1',
  topic: 'fanout.user.events',
  partition: 0,
  offset: '7',
  kind: 'not the wire format',
};
const ledger: ScenarioLedger = { users, orders, poison: [poison], poisonSoFar: [poison] };

let keyCount = 0;
const effect = (api: string, operation: string, subject: string, effects = 1): EffectKey => ({
  api,
  idempotencyKey: `k${++keyCount}`,
  operations: [operation],
  subjects: [subject],
  effects,
});

function consistentEffects(): EffectKey[] {
  return [
    ...users.flatMap((u) => [
      effect('email', 'send_message', `welcome:${u.id}`),
      effect('crm', 'upsert_contact', u.id),
      effect('analytics', 'track', `User Registered:${u.id}:2026-01-01T00:00:00.000Z`),
      effect('search', 'upsert_document', `user:${u.id}`),
    ]),
    // o1 confirmed.
    effect('inventory', 'reserve', 'o1'),
    effect('payment', 'authorize', 'o1'),
    effect('shipping', 'create_shipment', 'o1'),
    effect('email', 'send_message', 'order-confirmation:o1'),
    effect('crm', 'upsert_deal', 'o1:won'),
    effect('analytics', 'track', 'Order Completed:u1:2026-01-01T00:00:01.000Z'),
    effect('search', 'upsert_document', 'order:o1'),
    // o2 declined: its reservation was released.
    effect('inventory', 'reserve', 'o2'),
    effect('inventory', 'release_reservation', 'o2'),
    effect('email', 'send_message', 'order-cancellation:o2'),
    effect('crm', 'upsert_deal', 'o2:lost'),
    effect('analytics', 'track', 'Order Cancelled:u2:2026-01-01T00:00:02.000Z'),
    effect('search', 'upsert_document', 'order:o2'),
  ];
}

function report(keys: EffectKey[]): EffectsReport {
  return {
    totals: {
      effects: keys.reduce((n, k) => n + k.effects, 0),
      keys: keys.length,
      duplicateKeys: keys.filter((k) => k.effects > 1).length,
      subjects: keys.length,
      duplicateSubjects: 0,
    },
    keys,
  };
}

const outcomes = (o1 = 'CONFIRMED', o2 = 'CANCELLED'): Map<string, OrderOutcome> =>
  new Map([
    ['o1', { status: o1 }],
    ['o2', { status: o2, cancellationCode: 'PAYMENT_DECLINED' }],
  ]);

const letter = (topic: string, poisonId?: string, offset = '0'): DeadLetter => ({
  topic,
  partition: 0,
  offset,
  key: 'u-1',
  poisonId,
  originalTopic: 'fanout.user.events',
  originalOffset: '7',
  errorCode: 'FANOUT_DECODE_FAILED',
  reason: 'poison',
  errorMessage: 'not Avro',
  eventType: undefined,
});

const poisonLetters = (): DeadLetter[] =>
  ['email-consumer.dlq', 'crm-consumer.dlq', 'analytics-consumer.dlq', 'search-consumer.dlq'].map(
    (topic) => letter(topic, 'p1'),
  );

function evidence(overrides: Partial<Evidence> = {}): Evidence {
  return {
    effects: report(consistentEffects()),
    orders: outcomes(),
    deadLetters: poisonLetters(),
    ...overrides,
  };
}

const check = (result: Evaluation, name: string) => result.checks.find((c) => c.name === name)!;

describe('chaos invariants', () => {
  it('all four hold when every effect is there once, every saga ended and only poison was dead-lettered', () => {
    const result = evaluate(ledger, evidence());
    expect(result.checks.map((c) => [c.name, c.violations])).toEqual([
      ['no event lost', []],
      ['no duplicate effect', []],
      ['every saga terminal', []],
      ['dead letters are exactly the poison', []],
    ]);
    expect(result.figures).toMatchObject({
      usersAccepted: 2,
      ordersAccepted: 2,
      effectsExpected: 19,
      effectsPresent: 19,
      sagasTerminal: 2,
      confirmed: 1,
      cancelled: 1,
      deadLettersExpected: 4,
      deadLettersFound: 4,
    });
  });

  it('a registration that never reached the email API is a lost event, named by user and API', () => {
    const keys = consistentEffects().filter((k) => k.subjects[0] !== 'welcome:u2');
    const lost = check(evaluate(ledger, evidence({ effects: report(keys) })), 'no event lost');
    expect(lost.ok).toBe(false);
    expect(lost.violations).toEqual(['user u2: no email send_message (welcome:u2)']);
  });

  it('an order outcome missing at analytics is lost, though analytics stamps its own time', () => {
    const keys = consistentEffects().filter((k) => !k.subjects[0]!.startsWith('Order Completed:'));
    const lost = check(evaluate(ledger, evidence({ effects: report(keys) })), 'no event lost');
    expect(lost.violations).toEqual(['order o1: no analytics track (Order Completed:u1)']);
  });

  it('a key that acted twice, or one effect done under two keys, is a duplicate', () => {
    const twice = consistentEffects();
    twice[1] = { ...twice[1]!, effects: 2 };
    const byKey = check(
      evaluate(ledger, evidence({ effects: report(twice) })),
      'no duplicate effect',
    );
    expect(byKey.ok).toBe(false);
    expect(byKey.violations[0]).toMatch(/crm idempotency key k\d+ acted 2 times/);

    const twoKeys = [...consistentEffects(), effect('payment', 'authorize', 'o1')];
    const bySubject = check(
      evaluate(ledger, evidence({ effects: report(twoKeys) })),
      'no duplicate effect',
    );
    expect(bySubject.violations).toEqual([
      'order o1: payment authorize (o1) done under 2 different keys',
    ]);
  });

  it('an order still PENDING, or a declined order confirmed, is not a correctly ended saga', () => {
    const pending = check(
      evaluate(ledger, evidence({ orders: outcomes('PENDING') })),
      'every saga terminal',
    );
    expect(pending.violations).toEqual(['order o1: PENDING, not terminal']);

    const confirmed = check(
      evaluate(ledger, evidence({ orders: outcomes('CONFIRMED', 'CONFIRMED') })),
      'every saga terminal',
    );
    expect(confirmed.violations).toContain('order o2: priced to be declined, but CONFIRMED');
  });

  it('a cancelled order that still holds its reservation was not compensated', () => {
    const keys = consistentEffects().filter((k) => k.operations[0] !== 'release_reservation');
    const sagas = check(
      evaluate(ledger, evidence({ effects: report(keys) })),
      'every saga terminal',
    );
    expect(sagas.violations).toEqual([
      'order o2: CANCELLED, but 1 reservation(s) and 0 release(s)',
    ]);
  });

  it('a dead-letter topic lacking a poison copy, holding it twice, or holding anything else fails', () => {
    const missing = check(
      evaluate(ledger, evidence({ deadLetters: poisonLetters().slice(1) })),
      'dead letters are exactly the poison',
    );
    expect(missing.violations).toEqual([
      'email-consumer.dlq lacks poison p1 (not the wire format on fanout.user.events@0/7)',
    ]);

    const doubled = check(
      evaluate(
        ledger,
        evidence({ deadLetters: [...poisonLetters(), letter('crm-consumer.dlq', 'p1', '1')] }),
      ),
      'dead letters are exactly the poison',
    );
    expect(doubled.violations).toEqual(['crm-consumer.dlq holds poison p1 2 times']);

    const stranger = check(
      evaluate(
        ledger,
        evidence({ deadLetters: [...poisonLetters(), letter('payment-consumer.dlq')] }),
      ),
      'dead letters are exactly the poison',
    );
    expect(stranger.violations).toEqual([
      'payment-consumer.dlq holds a record that is not poison: poison FANOUT_DECODE_FAILED (not Avro) for an unknown event type from fanout.user.events@7',
    ]);
  });

  it('verifyInvariants waits for effects that arrive late, and gives up at its bound with the violations', async () => {
    let calls = 0;
    const late = {
      effects: async () => {
        calls += 1;
        return report(calls < 3 ? consistentEffects().slice(2) : consistentEffects());
      },
      orders: async () => outcomes(),
      deadLetters: async () => poisonLetters(),
    };
    const settled = await verifyInvariants(ledger, late, { settleTimeoutMs: 10_000 });
    expect(settled.checks.every((c) => c.ok)).toBe(true);

    const never = { ...late, effects: async () => report(consistentEffects().slice(2)) };
    const stuck = await verifyInvariants(ledger, never, {
      settleTimeoutMs: 1_500,
      deadLetterTimeoutMs: 0,
    });
    expect(check(stuck, 'no event lost').violations).toHaveLength(2);
  });
});
