import { setTimeout as sleep } from 'node:timers/promises';
import { DEAD_LETTER_TOPICS_OF } from './dead-letters';
import type { DeadLetter, PoisonRecord } from './dead-letters';
import type { AcceptedOrder, AcceptedUser } from './load';
import type { EffectsReport } from './sandbox-admin';

/**
 * The four post-checks every chaos scenario ends with, as pure functions of what the scenario
 * owes (its ledger) and what the system shows (its evidence), plus `verifyInvariants`, which
 * gathers the evidence until the checks hold or a bound runs out.
 *
 * 1. No event lost: every accepted POST reached every API it should (the sandbox's effects).
 * 2. No duplicate effect: no idempotency key acted twice (`duplicateKeys == 0`), and no business
 *    effect the scenario owes happened under two keys.
 * 3. Every saga terminal: each accepted order is CONFIRMED or CANCELLED (order-service GET), a
 *    declined one CANCELLED, and its saga effects match its outcome (a cancelled order holds no
 *    reservation, authorization or shipment; a confirmed one was never compensated).
 * 4. The dead-letter topics hold exactly the poison records: one dead letter per poison record
 *    per consuming group, nothing else.
 */

export const TERMINAL_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;

/** What a scenario owes. `poisonSoFar` includes this scenario's and every earlier one's. */
export interface ScenarioLedger {
  users: readonly AcceptedUser[];
  orders: readonly AcceptedOrder[];
  poison: readonly PoisonRecord[];
  poisonSoFar: readonly PoisonRecord[];
}

export interface OrderOutcome {
  status: string;
  cancellationCode?: string | null;
}

/** What the system shows. */
export interface Evidence {
  effects: EffectsReport;
  /** Order id → its state from GET /orders/:id (absent: not read or 404). */
  orders: ReadonlyMap<string, OrderOutcome>;
  /** Every dead-letter record (read from the beginning), minus those before this run. */
  deadLetters: readonly DeadLetter[];
}

export type CheckName =
  | 'no event lost'
  | 'no duplicate effect'
  | 'every saga terminal'
  | 'dead letters are exactly the poison';

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** One line per problem, naming the API, operation and aggregate. */
  violations: string[];
}

export interface Figures {
  usersAccepted: number;
  ordersAccepted: number;
  effectsExpected: number;
  effectsPresent: number;
  duplicateKeys: number;
  doubleEffects: number;
  sagasTerminal: number;
  confirmed: number;
  cancelled: number;
  /** Cancelled orders by reason, e.g. PAYMENT_DECLINED (priced to be) or a step's timeout. */
  cancelReasons: Record<string, number>;
  poisonProduced: number;
  deadLettersExpected: number;
  deadLettersFound: number;
}

export interface Evaluation {
  checks: CheckResult[];
  figures: Figures;
}

/** One effect an API owes: `subject` is exact, except analytics, matched on `<event>:<user>`. */
interface Expectation {
  api: string;
  operation: string;
  subject: string;
  owner: string;
}

/**
 * Analytics subjects are `<event>:<user id>:<timestamp>`: the scenario knows the event and the
 * user (one order per customer), not the timestamp the producer stamped.
 */
function subjectKey(api: string, operation: string, subject: string): string {
  const s =
    api === 'analytics' && operation === 'track'
      ? subject.split(':').slice(0, 2).join(':')
      : subject;
  return `${api}\u0000${operation}\u0000${s}`;
}

/** How many distinct idempotency keys produced each (api, operation, subject). */
export function effectIndex(report: EffectsReport): Map<string, number> {
  const index = new Map<string, number>();
  for (const key of report.keys)
    for (const operation of key.operations)
      for (const subject of key.subjects) {
        const k = subjectKey(key.api, operation, subject);
        index.set(k, (index.get(k) ?? 0) + 1);
      }
  return index;
}

const count = (index: Map<string, number>, api: string, operation: string, subject: string) =>
  index.get(subjectKey(api, operation, subject)) ?? 0;

/** The fan-out a registration owes, and what an order owes once its saga ended. */
export function expectationsOf(
  users: readonly AcceptedUser[],
  orders: readonly AcceptedOrder[],
  outcomes: ReadonlyMap<string, OrderOutcome>,
): Expectation[] {
  const out: Expectation[] = [];
  for (const user of users) {
    const owner = `user ${user.id}`;
    out.push(
      { api: 'email', operation: 'send_message', subject: `welcome:${user.id}`, owner },
      { api: 'crm', operation: 'upsert_contact', subject: user.id, owner },
      { api: 'analytics', operation: 'track', subject: `User Registered:${user.id}`, owner },
      { api: 'search', operation: 'upsert_document', subject: `user:${user.id}`, owner },
    );
  }
  for (const order of orders) {
    const owner = `order ${order.id}`;
    const status = outcomes.get(order.id)?.status;
    if (status === 'CONFIRMED')
      out.push(
        { api: 'inventory', operation: 'reserve', subject: order.id, owner },
        { api: 'payment', operation: 'authorize', subject: order.id, owner },
        { api: 'shipping', operation: 'create_shipment', subject: order.id, owner },
        {
          api: 'email',
          operation: 'send_message',
          subject: `order-confirmation:${order.id}`,
          owner,
        },
        { api: 'crm', operation: 'upsert_deal', subject: `${order.id}:won`, owner },
        {
          api: 'analytics',
          operation: 'track',
          subject: `Order Completed:${order.customerId}`,
          owner,
        },
        { api: 'search', operation: 'upsert_document', subject: `order:${order.id}`, owner },
      );
    else if (status === 'CANCELLED')
      out.push(
        {
          api: 'email',
          operation: 'send_message',
          subject: `order-cancellation:${order.id}`,
          owner,
        },
        { api: 'crm', operation: 'upsert_deal', subject: `${order.id}:lost`, owner },
        {
          api: 'analytics',
          operation: 'track',
          subject: `Order Cancelled:${order.customerId}`,
          owner,
        },
        { api: 'search', operation: 'upsert_document', subject: `order:${order.id}`, owner },
      );
  }
  return out;
}

const MAX_LISTED = 12;

function summarize(violations: string[]): string[] {
  return violations.length <= MAX_LISTED
    ? violations
    : [...violations.slice(0, MAX_LISTED), `… and ${violations.length - MAX_LISTED} more`];
}

export function checkNoEventLost(
  expectations: readonly Expectation[],
  index: Map<string, number>,
): CheckResult {
  const violations = expectations
    .filter((e) => count(index, e.api, e.operation, e.subject) === 0)
    .map((e) => `${e.owner}: no ${e.api} ${e.operation} (${e.subject})`);
  return { name: 'no event lost', ok: violations.length === 0, violations };
}

/** The saga steps whose effect an order may hold at most once, whatever its outcome. */
const ONCE_PER_ORDER: ReadonlyArray<[string, string]> = [
  ['inventory', 'reserve'],
  ['inventory', 'release_reservation'],
  ['payment', 'authorize'],
  ['payment', 'void'],
  ['shipping', 'create_shipment'],
  ['shipping', 'cancel_shipment'],
];

export function checkNoDuplicateEffect(
  report: EffectsReport,
  expectations: readonly Expectation[],
  orders: readonly AcceptedOrder[],
  index: Map<string, number>,
): CheckResult {
  const violations: string[] = [];
  for (const key of report.keys)
    if (key.effects > 1)
      violations.push(
        `${key.api} idempotency key ${key.idempotencyKey} acted ${key.effects} times (${key.operations.join(', ')} on ${key.subjects.join(', ')})`,
      );
  if (report.totals.duplicateKeys > 0 && violations.length === 0)
    violations.push(`the sandbox counts ${report.totals.duplicateKeys} duplicate keys`);
  for (const e of expectations) {
    const n = count(index, e.api, e.operation, e.subject);
    if (n > 1)
      violations.push(
        `${e.owner}: ${e.api} ${e.operation} (${e.subject}) done under ${n} different keys`,
      );
  }
  for (const order of orders)
    for (const [api, operation] of ONCE_PER_ORDER) {
      const n = count(index, api, operation, order.id);
      if (
        n > 1 &&
        !expectations.some(
          (e) => e.api === api && e.operation === operation && e.subject === order.id,
        )
      )
        violations.push(`order ${order.id}: ${api} ${operation} done under ${n} different keys`);
    }
  return { name: 'no duplicate effect', ok: violations.length === 0, violations };
}

export function checkSagasTerminal(
  orders: readonly AcceptedOrder[],
  outcomes: ReadonlyMap<string, OrderOutcome>,
  index: Map<string, number>,
): CheckResult {
  const violations: string[] = [];
  for (const order of orders) {
    const outcome = outcomes.get(order.id);
    const status = outcome?.status ?? 'unknown (not found)';
    if (!(TERMINAL_STATUSES as readonly string[]).includes(status)) {
      violations.push(`order ${order.id}: ${status}, not terminal`);
      continue;
    }
    const n = (api: string, operation: string) => count(index, api, operation, order.id);
    if (order.declineExpected && status !== 'CANCELLED')
      violations.push(`order ${order.id}: priced to be declined, but ${status}`);
    if (status === 'CANCELLED') {
      // A cancelled order holds nothing: every step that acted was compensated.
      if (n('inventory', 'reserve') !== n('inventory', 'release_reservation'))
        violations.push(
          `order ${order.id}: CANCELLED, but ${n('inventory', 'reserve')} reservation(s) and ${n('inventory', 'release_reservation')} release(s)`,
        );
      if (n('payment', 'authorize') !== n('payment', 'void'))
        violations.push(
          `order ${order.id}: CANCELLED, but ${n('payment', 'authorize')} authorization(s) and ${n('payment', 'void')} void(s)`,
        );
      if (n('shipping', 'create_shipment') !== n('shipping', 'cancel_shipment'))
        violations.push(
          `order ${order.id}: CANCELLED, but ${n('shipping', 'create_shipment')} shipment(s) and ${n('shipping', 'cancel_shipment')} cancellation(s)`,
        );
    } else {
      for (const [api, operation] of [
        ['inventory', 'release_reservation'],
        ['payment', 'void'],
        ['shipping', 'cancel_shipment'],
      ] as const)
        if (n(api, operation) > 0)
          violations.push(`order ${order.id}: CONFIRMED, but compensated (${api} ${operation})`);
    }
  }
  return { name: 'every saga terminal', ok: violations.length === 0, violations };
}

export function checkDeadLetters(
  poisonSoFar: readonly PoisonRecord[],
  deadLetters: readonly DeadLetter[],
): CheckResult {
  const violations: string[] = [];
  const expected = new Map<string, PoisonRecord>();
  for (const poison of poisonSoFar) {
    const topics = DEAD_LETTER_TOPICS_OF[poison.topic];
    if (!topics) throw new Error(`no consumer of ${poison.topic} is known to the suite`);
    for (const topic of topics) expected.set(`${topic}\u0000${poison.id}`, poison);
  }
  const seen = new Map<string, number>();
  for (const letter of deadLetters) {
    const key = `${letter.topic}\u0000${letter.poisonId ?? ''}`;
    if (letter.poisonId === undefined || !expected.has(key)) {
      violations.push(
        `${letter.topic} holds a record that is not poison: ${letter.reason ?? 'no reason'} ${letter.errorCode ?? 'no error code'} (${letter.errorMessage ?? 'no message'}) for ${letter.eventType ?? 'an unknown event type'} from ${letter.originalTopic ?? '?'}@${letter.originalOffset ?? '?'}${letter.poisonId ? ` (poison ${letter.poisonId} of another topic)` : ''}`,
      );
      continue;
    }
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, poison] of expected) {
    const topic = key.split('\u0000')[0];
    const n = seen.get(key) ?? 0;
    if (n === 0)
      violations.push(
        `${topic} lacks poison ${poison.id} (${poison.kind} on ${poison.topic}@${poison.partition}/${poison.offset})`,
      );
    else if (n > 1) violations.push(`${topic} holds poison ${poison.id} ${n} times`);
  }
  return { name: 'dead letters are exactly the poison', ok: violations.length === 0, violations };
}

/** The four checks on one set of evidence. */
export function evaluate(ledger: ScenarioLedger, evidence: Evidence): Evaluation {
  const index = effectIndex(evidence.effects);
  const expectations = expectationsOf(ledger.users, ledger.orders, evidence.orders);
  const lost = checkNoEventLost(expectations, index);
  const duplicates = checkNoDuplicateEffect(evidence.effects, expectations, ledger.orders, index);
  const sagas = checkSagasTerminal(ledger.orders, evidence.orders, index);
  const letters = checkDeadLetters(ledger.poisonSoFar, evidence.deadLetters);
  const statuses = ledger.orders.map((o) => evidence.orders.get(o.id)?.status);
  const mine = new Set(ledger.poison.map((p) => p.id));
  return {
    checks: [lost, duplicates, sagas, letters],
    figures: {
      usersAccepted: ledger.users.length,
      ordersAccepted: ledger.orders.length,
      effectsExpected: expectations.length,
      effectsPresent: expectations.filter((e) => count(index, e.api, e.operation, e.subject) > 0)
        .length,
      duplicateKeys: evidence.effects.totals.duplicateKeys,
      doubleEffects: duplicates.violations.length,
      sagasTerminal: statuses.filter((s) => s === 'CONFIRMED' || s === 'CANCELLED').length,
      confirmed: statuses.filter((s) => s === 'CONFIRMED').length,
      cancelled: statuses.filter((s) => s === 'CANCELLED').length,
      cancelReasons: ledger.orders.reduce<Record<string, number>>((reasons, o) => {
        const outcome = evidence.orders.get(o.id);
        if (outcome?.status === 'CANCELLED') {
          const code = outcome.cancellationCode ?? 'unknown';
          reasons[code] = (reasons[code] ?? 0) + 1;
        }
        return reasons;
      }, {}),
      poisonProduced: ledger.poison.length,
      deadLettersExpected: ledger.poison.reduce(
        (sum, p) => sum + (DEAD_LETTER_TOPICS_OF[p.topic]?.length ?? 0),
        0,
      ),
      deadLettersFound: evidence.deadLetters.filter(
        (d) => d.poisonId !== undefined && mine.has(d.poisonId),
      ).length,
    },
  };
}

/** The message an assertion shows for a failed check. */
export function describeCheck(scenario: string, check: CheckResult): string {
  return `${scenario}: ${check.name}: ${check.violations.length} violation(s):\n  ${summarize(check.violations).join('\n  ')}`;
}

export interface EvidenceSources {
  effects(): Promise<EffectsReport>;
  /** Reads the orders not yet known to be terminal; returns every outcome known. */
  orders(ids: readonly string[]): Promise<ReadonlyMap<string, OrderOutcome>>;
  deadLetters(): Promise<DeadLetter[]>;
}

export interface VerifyOptions {
  /** How long the system may take to settle after the scenario (all effects, all sagas). */
  settleTimeoutMs: number;
  /** How long the dead-letter topics may take to hold every poison record. */
  deadLetterTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Waits, bounded, until nothing is owed any more (every expected effect present, every saga
 * terminal, every poison record dead-lettered), then evaluates all four checks once more on
 * fresh evidence. Problems that waiting cannot fix (a duplicate effect, a dead letter that is
 * not poison) end the wait at once.
 */
export async function verifyInvariants(
  ledger: ScenarioLedger,
  sources: EvidenceSources,
  options: VerifyOptions,
): Promise<Evaluation & { settledMs: number }> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const noLetters: DeadLetter[] = [];
  const ids = ledger.orders.map((o) => o.id);
  let orders = await sources.orders(ids);
  let evaluation = evaluate(ledger, {
    effects: await sources.effects(),
    orders,
    deadLetters: noLetters,
  });
  let lastLog = 0;
  for (;;) {
    const [lost, duplicates, sagas] = evaluation.checks;
    if (lost!.ok && sagas!.ok) break;
    if (!duplicates!.ok) break;
    if (Date.now() - started > options.settleTimeoutMs) break;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(
        `  settling: ${lost!.violations.length} effect(s) missing, ${sagas!.violations.length} saga(s) not terminal`,
      );
    }
    await sleep(1_000);
    orders = await sources.orders(ids);
    evaluation = evaluate(ledger, {
      effects: await sources.effects(),
      orders,
      deadLetters: noLetters,
    });
  }
  const settledMs = Date.now() - started;

  const letterDeadline = Date.now() + (options.deadLetterTimeoutMs ?? 30_000);
  let deadLetters = await sources.deadLetters();
  for (;;) {
    const letters = checkDeadLetters(ledger.poisonSoFar, deadLetters);
    const onlyMissing = letters.violations.every((v) => v.includes(' lacks poison '));
    if (letters.ok || !onlyMissing || Date.now() > letterDeadline) break;
    await sleep(2_000);
    deadLetters = await sources.deadLetters();
  }
  orders = await sources.orders(ids);
  return {
    ...evaluate(ledger, { effects: await sources.effects(), orders, deadLetters }),
    settledMs,
  };
}
