import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentConsumer } from '@fanout/payment-consumer/consumer';
import type { PaymentParticipant } from '@fanout/payment-consumer/consumer';
import { sleep } from '../saga/saga-fixtures';
import {
  effectCount,
  effectsOf,
  newTraceparent,
  repliesOf,
  sandboxAdmin,
  traceIdOf,
} from './participant-fixtures';
import { startParticipantSuite } from './participant-suite';
import type { ParticipantSuite } from './participant-suite';

const Authorize = 'fanout.payment.AuthorizePayment';
const Void = 'fanout.payment.VoidPayment';
const Authorized = 'fanout.payment.PaymentAuthorized';
const Declined = 'fanout.payment.PaymentDeclined';
const Voided = 'fanout.payment.PaymentVoided';

/** Amounts at or above this are declined by the sandbox rule set in beforeAll. */
const DECLINE_FROM = 1_000_000;

let suite: ParticipantSuite<PaymentParticipant>;

beforeAll(async () => {
  suite = await startParticipantSuite(paymentConsumer, {
    api: 'payment',
    prefix: 'PAYMENT',
    prepareSandbox: (sandbox) =>
      sandboxAdmin(sandbox, 'PUT', '/payment/decline-rules', {
        rules: [{ amountGte: DECLINE_FROM, declineCode: 'insufficient_funds' }],
      }),
  });
});

afterAll(async () => {
  await suite?.stop();
});

function authorize(orderId: string, amountMinor = 4_999) {
  return { orderId, customerId: 'customer-1', currency: 'EUR', amountMinor };
}

const send: ParticipantSuite<unknown>['send'] = (...args) => suite.send(...args);

describe('payment-consumer on the real broker and the sandbox', () => {
  it('AuthorizePayment authorizes at the API and replies PaymentAuthorized, carrying correlation, cause and trace', async () => {
    const orderId = randomUUID();
    const trace = newTraceparent();
    const command = await send(Authorize, authorize(orderId), {
      headers: { traceparent: trace.traceparent },
    });

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(Authorized);
    expect(reply!.value.authorizationId).toMatch(/^auth_/);
    const metadata = reply!.value.metadata as Record<string, unknown>;
    expect(metadata.correlationId).toBe(command.correlationId);
    expect(metadata.causationId).toBe(command.eventId);
    expect(metadata.producer).toBe('payment-consumer');
    expect(traceIdOf(reply!.headers.traceparent)).toBe(trace.traceId);
    expect(effectCount(await effectsOf(suite.sandbox, 'payment', orderId), 'authorize')).toBe(1);
  });

  it('a payment declined by rule replies PaymentDeclined with PAYMENT_DECLINED and the decline code', async () => {
    const orderId = randomUUID();
    await send(Authorize, authorize(orderId, DECLINE_FROM + 1));

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(Declined);
    expect(reply!.value.failure).toMatchObject({ code: 'PAYMENT_DECLINED', retriable: false });
    expect(String((reply!.value.failure as { message: string }).message)).toContain(
      'insufficient_funds',
    );
    expect((await effectsOf(suite.sandbox, 'payment', orderId)).totals.effects).toBe(0);
  });

  it('a command the API refuses (400) replies PaymentDeclined with API_ERROR instead of going silent', async () => {
    const orderId = randomUUID();
    await send(Authorize, authorize(orderId, 0));

    const [reply] = await repliesOf(suite.replies, orderId, 1);
    expect(reply!.eventType).toBe(Declined);
    expect(reply!.value.failure).toMatchObject({ code: 'API_ERROR', retriable: false });
  });

  it('a redelivered AuthorizePayment authorizes once: the API replays its first answer', async () => {
    const orderId = randomUUID();
    const command = await send(Authorize, authorize(orderId));
    await send(Authorize, authorize(orderId), command);
    await send(Authorize, authorize(orderId), { correlationId: command.correlationId });

    const all = await repliesOf(suite.replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Authorized, Authorized, Authorized]);
    expect(new Set(all.map((r) => r.value.authorizationId)).size).toBe(1);
    const report = await effectsOf(suite.sandbox, 'payment', orderId);
    expect(effectCount(report, 'authorize')).toBe(1);
    expect(report.totals.duplicateKeys).toBe(0);
  });

  it('VoidPayment twice voids once and replies PaymentVoided each time', async () => {
    const orderId = randomUUID();
    await send(Authorize, authorize(orderId));
    const [authorized] = await repliesOf(suite.replies, orderId, 1);
    expect(authorized!.eventType).toBe(Authorized);

    const voidCommand = { orderId, authorizationId: authorized!.value.authorizationId };
    await send(Void, voidCommand);
    await send(Void, voidCommand);

    const all = await repliesOf(suite.replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Authorized, Voided, Voided]);
    const report = await effectsOf(suite.sandbox, 'payment', orderId);
    expect(effectCount(report, 'authorize')).toBe(1);
    expect(effectCount(report, 'void')).toBe(1);
  });

  it('VoidPayment before its authorization succeeds as a no-op, and the late authorization holds nothing', async () => {
    const orderId = randomUUID();
    await send(Void, { orderId, authorizationId: null });
    const [voided] = await repliesOf(suite.replies, orderId, 1);
    expect(voided!.eventType).toBe(Voided);

    await send(Authorize, authorize(orderId));
    const all = await repliesOf(suite.replies, orderId, 2);
    expect(all[1]!.eventType).toBe(Declined);
    expect((all[1]!.value.failure as { retriable: boolean }).retriable).toBe(false);
    await sleep(500);
    expect((await effectsOf(suite.sandbox, 'payment', orderId)).totals.effects).toBe(0);
  });
});
