import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { paymentConsumer } from '@fanout/payment-consumer/consumer';
import type { PaymentParticipant } from '@fanout/payment-consumer/consumer';
import { createSandbox } from '@fanout/sandbox-apis/sandbox';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { uniqueName } from '@fanout/test-platform';
import { EventLog, TestProducer, newCodec, newKafka, sleep } from '../saga/saga-fixtures';
import {
  createTopics,
  effectCount,
  effectsOf,
  installTracePropagation,
  newTraceparent,
  repliesOf,
  sandboxAdmin,
  sandboxApiEnv,
  startParticipant,
  traceIdOf,
  withMetadata,
} from './participant-fixtures';
import type { RunningParticipant } from './participant-fixtures';

const Authorize = 'fanout.payment.AuthorizePayment';
const Void = 'fanout.payment.VoidPayment';
const Authorized = 'fanout.payment.PaymentAuthorized';
const Declined = 'fanout.payment.PaymentDeclined';
const Voided = 'fanout.payment.PaymentVoided';

/** Amounts at or above this are declined by the sandbox rule set in beforeAll. */
const DECLINE_FROM = 1_000_000;

let kafka: Kafka;
let codec: RegistryCodec;
let sandbox: Sandbox;
let participant: RunningParticipant<PaymentParticipant>;
let replies: EventLog;
let producer: TestProducer;
let commandsTopic: string;

beforeAll(async () => {
  installTracePropagation();
  kafka = newKafka('payment-participant-test');
  codec = newCodec();
  sandbox = await createSandbox({ port: 0 });
  await sandboxAdmin(sandbox, 'PUT', '/payment/decline-rules', {
    rules: [{ amountGte: DECLINE_FROM, declineCode: 'insufficient_funds' }],
  });
  commandsTopic = uniqueName('payment-commands');
  const repliesTopic = uniqueName('payment-replies');
  await createTopics(kafka, [commandsTopic, repliesTopic]);
  participant = await startParticipant(paymentConsumer, {
    ...sandboxApiEnv(sandbox, 'payment', 'PAYMENT'),
    PAYMENT_COMMANDS_TOPIC: commandsTopic,
    SAGA_REPLIES_TOPIC: repliesTopic,
    // Redeliveries must reach the API here: the Idempotency-Key is what is under test.
    DEDUPE_ENABLED: 'false',
  });
  replies = new EventLog(kafka, codec, [repliesTopic]);
  producer = new TestProducer(kafka, codec);
  await Promise.all([replies.start(), producer.connect()]);
});

afterAll(async () => {
  await participant?.stop();
  await Promise.all([replies?.stop(), producer?.disconnect()]);
  await sandbox?.close();
  await codec?.close();
});

function authorize(orderId: string, amountMinor = 4_999) {
  return { orderId, customerId: 'customer-1', currency: 'EUR', amountMinor };
}

function send(
  eventType: string,
  payload: Record<string, unknown>,
  options: { eventId?: string; correlationId?: string; headers?: Record<string, string> } = {},
) {
  const value = withMetadata(payload, options);
  return producer
    .send(commandsTopic, String(payload.orderId), eventType, value, options.headers)
    .then(() => value.metadata as { eventId: string; correlationId: string });
}

describe('payment-consumer on the real broker and the sandbox', () => {
  it('AuthorizePayment authorizes at the API and replies PaymentAuthorized, carrying correlation, cause and trace', async () => {
    const orderId = randomUUID();
    const trace = newTraceparent();
    const command = await send(Authorize, authorize(orderId), {
      headers: { traceparent: trace.traceparent },
    });

    const [reply] = await repliesOf(replies, orderId, 1);
    expect(reply!.eventType).toBe(Authorized);
    expect(reply!.value.authorizationId).toMatch(/^auth_/);
    const metadata = reply!.value.metadata as Record<string, unknown>;
    expect(metadata.correlationId).toBe(command.correlationId);
    expect(metadata.causationId).toBe(command.eventId);
    expect(metadata.producer).toBe('payment-consumer');
    expect(traceIdOf(reply!.headers.traceparent)).toBe(trace.traceId);
    expect(effectCount(await effectsOf(sandbox, 'payment', orderId), 'authorize')).toBe(1);
  });

  it('a payment declined by rule replies PaymentDeclined with PAYMENT_DECLINED and the decline code', async () => {
    const orderId = randomUUID();
    await send(Authorize, authorize(orderId, DECLINE_FROM + 1));

    const [reply] = await repliesOf(replies, orderId, 1);
    expect(reply!.eventType).toBe(Declined);
    expect(reply!.value.failure).toMatchObject({ code: 'PAYMENT_DECLINED', retriable: false });
    expect(String((reply!.value.failure as { message: string }).message)).toContain(
      'insufficient_funds',
    );
    expect((await effectsOf(sandbox, 'payment', orderId)).totals.effects).toBe(0);
  });

  it('a command the API refuses (400) replies PaymentDeclined with API_ERROR instead of going silent', async () => {
    const orderId = randomUUID();
    await send(Authorize, authorize(orderId, 0));

    const [reply] = await repliesOf(replies, orderId, 1);
    expect(reply!.eventType).toBe(Declined);
    expect(reply!.value.failure).toMatchObject({ code: 'API_ERROR', retriable: false });
  });

  it('a redelivered AuthorizePayment authorizes once: the API replays its first answer', async () => {
    const orderId = randomUUID();
    const command = await send(Authorize, authorize(orderId));
    await send(Authorize, authorize(orderId), command);
    await send(Authorize, authorize(orderId), { correlationId: command.correlationId });

    const all = await repliesOf(replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Authorized, Authorized, Authorized]);
    expect(new Set(all.map((r) => r.value.authorizationId)).size).toBe(1);
    const report = await effectsOf(sandbox, 'payment', orderId);
    expect(effectCount(report, 'authorize')).toBe(1);
    expect(report.totals.duplicateKeys).toBe(0);
  });

  it('VoidPayment twice voids once and replies PaymentVoided each time', async () => {
    const orderId = randomUUID();
    await send(Authorize, authorize(orderId));
    const [authorized] = await repliesOf(replies, orderId, 1);
    expect(authorized!.eventType).toBe(Authorized);

    const voidCommand = { orderId, authorizationId: authorized!.value.authorizationId };
    await send(Void, voidCommand);
    await send(Void, voidCommand);

    const all = await repliesOf(replies, orderId, 3);
    expect(all.map((r) => r.eventType)).toEqual([Authorized, Voided, Voided]);
    const report = await effectsOf(sandbox, 'payment', orderId);
    expect(effectCount(report, 'authorize')).toBe(1);
    expect(effectCount(report, 'void')).toBe(1);
  });

  it('VoidPayment before its authorization succeeds as a no-op, and the late authorization holds nothing', async () => {
    const orderId = randomUUID();
    await send(Void, { orderId, authorizationId: null });
    const [voided] = await repliesOf(replies, orderId, 1);
    expect(voided!.eventType).toBe(Voided);

    await send(Authorize, authorize(orderId));
    const all = await repliesOf(replies, orderId, 2);
    expect(all[1]!.eventType).toBe(Declined);
    expect((all[1]!.value.failure as { retriable: boolean }).retriable).toBe(false);
    await sleep(500);
    expect((await effectsOf(sandbox, 'payment', orderId)).totals.effects).toBe(0);
  });
});
