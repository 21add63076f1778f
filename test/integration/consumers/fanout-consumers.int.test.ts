import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { ApiCallAttempted, RegistryCodec } from '@fanout/contracts';
import type { ConsumerService } from '@fanout/consumer-kit';
import { analyticsConsumer } from '@fanout/analytics-consumer/consumer';
import { crmConsumer } from '@fanout/crm-consumer/consumer';
import { emailConsumer } from '@fanout/email-consumer/consumer';
import { searchConsumer } from '@fanout/search-consumer/consumer';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import type { Kafka } from 'kafkajs';
import {
  consumerHarness,
  apiGet,
  consumerEnv,
  createConsumerTopics,
  effects,
  eventually,
  orderCancelled,
  orderConfirmed,
  produce,
  readTopic,
  sleep,
  startConsumer,
  stopConsumer,
  userContact,
  userRegistered,
} from './consumer-fixtures';
import type { ConsumerTopics } from './consumer-fixtures';

/**
 * The four fan-out consumers against the real broker, registry and sandbox: each delivers each
 * event type, every attempt reaches the call ledger, and a redelivered event acts once.
 */
describe('fan-out consumers', () => {
  let kafka: Kafka;
  let codec: RegistryCodec;
  let producer: Producer;
  let sandbox: Sandbox;
  let topics: ConsumerTopics;
  const services: Array<ConsumerService<unknown> & { env: Record<string, string> }> = [];

  // Locales: language-region as is; a tag without region; a valid tag longer than the CRM's
  // 20-character locale (it used to be refused with a 400 and dead-lettered).
  const users = [
    userRegistered(),
    userRegistered({ locale: 'zh-Hant' }),
    userRegistered({ locale: 'en-US-u-ca-gregory-nu-latn' }),
  ];
  const crmLocales = ['en-GB', 'zh-TW', 'en-US'];
  const confirmed = orderConfirmed(users[0]!.userId);
  const cancelled = orderCancelled(users[1]!.userId);

  beforeAll(async () => {
    ({ kafka, codec, producer, sandbox } = await consumerHarness());
    topics = await createConsumerTopics(kafka);
    const started = await Promise.all([
      startConsumer(emailConsumer, consumerEnv('email', sandbox, topics)),
      // Without the eventId dedupe store, so a redelivery reaches the API's Idempotency-Key.
      startConsumer(crmConsumer, consumerEnv('crm', sandbox, topics, { DEDUPE_ENABLED: 'false' })),
      startConsumer(analyticsConsumer, consumerEnv('analytics', sandbox, topics)),
      startConsumer(searchConsumer, consumerEnv('search', sandbox, topics)),
    ]);
    services.push(...(started as typeof services));
    // Registrations first, each with its row in the user table topic (as user-service writes
    // them): the email consumer's view finds the customers' addresses there.
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', users);
    await produce(
      producer,
      codec,
      topics.contacts,
      'fanout.user.UserContact',
      users.map(userContact),
    );
    await eventually('welcome emails', async () =>
      (await effects(sandbox, 'email')).totals.keys >= users.length ? true : undefined,
    );
    await produce(producer, codec, topics.orders, 'fanout.order.OrderConfirmed', [confirmed]);
    await produce(producer, codec, topics.orders, 'fanout.order.OrderCancelled', [cancelled]);
  });

  afterAll(async () => {
    await Promise.allSettled(services.map((service) => stopConsumer(service)));
    await producer?.disconnect();
    await codec?.close();
    await sandbox?.close();
  });

  it('email consumer sends a welcome, a confirmation and a cancellation email, once each', async () => {
    const report = await eventually('five emails', async () => {
      const r = await effects(sandbox, 'email');
      return r.totals.keys === 5 ? r : undefined;
    });
    expect(report.totals.duplicateKeys).toBe(0);
    const templates = async (reference: string) =>
      (
        await apiGet<{ data: Array<{ template: string; to: string }> }>(
          sandbox,
          'email',
          `/v1/messages?reference=${reference}`,
        )
      ).body.data;
    expect((await templates(users[2]!.userId)).map((m) => m.template)).toEqual(['welcome']);
    expect(await templates(confirmed.orderId)).toEqual([
      expect.objectContaining({ template: 'order-confirmation', to: users[0]!.email }),
    ]);
    expect(await templates(cancelled.orderId)).toEqual([
      expect.objectContaining({ template: 'order-cancellation', to: users[1]!.email }),
    ]);
  });

  it('CRM consumer upserts a contact per user and moves each order deal to won or lost', async () => {
    const won = await eventually('deal won', async () => {
      const r = await apiGet<{ stage: string; amount: number }>(
        sandbox,
        'crm',
        `/v1/deals/${confirmed.orderId}`,
      );
      return r.status === 200 ? r.body : undefined;
    });
    expect(won).toMatchObject({ stage: 'won', amount: confirmed.totalMinor });
    const lost = await eventually('deal lost', async () => {
      const r = await apiGet<{ stage: string }>(sandbox, 'crm', `/v1/deals/${cancelled.orderId}`);
      return r.status === 200 ? r.body : undefined;
    });
    expect(lost.stage).toBe('lost');
    for (const [i, user] of users.entries()) {
      const contact = await apiGet<{ email: string; locale: string | null }>(
        sandbox,
        'crm',
        `/v1/contacts/${user.userId}`,
      );
      expect(contact.status).toBe(200);
      expect(contact.body.email).toBe(user.email);
      expect(contact.body.locale).toBe(crmLocales[i]);
    }
    const report = await effects(sandbox, 'crm');
    expect(report.totals).toMatchObject({ keys: 5, duplicateKeys: 0 });
  });

  it('analytics consumer tracks every event through the bulk endpoint', async () => {
    const report = await eventually('five tracked events', async () => {
      const r = await effects(sandbox, 'analytics');
      return r.totals.keys === 5 ? r : undefined;
    });
    expect(report.totals.duplicateKeys).toBe(0);
    const names = async (userId: string) =>
      (
        await apiGet<{ data: Array<{ event: string }> }>(
          sandbox,
          'analytics',
          `/v1/events?user_id=${userId}`,
        )
      ).body.data
        .map((e) => e.event)
        .sort();
    expect(await names(users[0]!.userId)).toEqual(['Order Completed', 'User Registered']);
    expect(await names(users[1]!.userId)).toEqual(['Order Cancelled', 'User Registered']);
  });

  it('search consumer indexes users and orders, and marks a cancelled order', async () => {
    const order = await eventually('cancelled order document', async () => {
      const r = await apiGet<{ document: { status: string } }>(
        sandbox,
        'search',
        `/v1/documents/order:${cancelled.orderId}`,
      );
      return r.status === 200 ? r.body : undefined;
    });
    expect(order.document.status).toBe('cancelled');
    const confirmedDoc = await eventually('confirmed order document', async () => {
      const r = await apiGet<{ document: { status: string } }>(
        sandbox,
        'search',
        `/v1/documents/order:${confirmed.orderId}`,
      );
      return r.status === 200 ? r.body : undefined;
    });
    expect(confirmedDoc.document.status).toBe('confirmed');
    const user = await apiGet<{ document: Record<string, unknown> }>(
      sandbox,
      'search',
      `/v1/documents/user:${users[2]!.userId}`,
    );
    expect(user.status).toBe(200);
    expect(user.body.document).toMatchObject({ user_id: users[2]!.userId });
    expect(user.body.document).not.toHaveProperty('email');
    expect((await effects(sandbox, 'search')).totals.duplicateKeys).toBe(0);
  });

  it('every attempt is in the call ledger with its api, operation, key, status and event', async () => {
    const isAttempt = (r: { value: unknown }) => r.value as ApiCallAttempted;
    const analyticsEvents = [...users.map((u) => u.metadata.eventId), confirmed.metadata.eventId];
    // Until every API shows up and the bulk records name every analytics event (the ledger
    // publishes on a timer, so the last records may trail the API calls a little).
    const records = await readTopic(kafka, codec, topics.ledger, (rs) => {
      const attempts = rs.map(isAttempt);
      const apis = new Set(attempts.map((a) => a.api));
      const carried = new Set(
        attempts.filter((a) => a.api === 'analytics').flatMap((a) => a.eventIds),
      );
      return (
        ['email', 'crm', 'analytics', 'search'].every((api) => apis.has(api)) &&
        analyticsEvents.every((id) => carried.has(id)) &&
        attempts.some((a) => a.api === 'crm' && a.subject === users[0]!.userId)
      );
    });
    const attempts = records.map(isAttempt);
    expect(records.every((r) => r.eventType === 'fanout.audit.ApiCallAttempted')).toBe(true);
    const contact = attempts.find(
      (a) => a.api === 'crm' && a.subject === users[0]!.userId && a.operation === 'upsertContact',
    );
    expect(contact).toMatchObject({
      service: 'crm-consumer',
      outcome: 'SUCCESS',
      eventIds: [users[0]!.metadata.eventId],
      attempt: 1,
    });
    expect(contact!.status).toBeGreaterThanOrEqual(200);
    expect(contact!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(contact!.traceId ?? '').toMatch(/^([0-9a-f]{32})?$/);
    // Every analytics call names the events it carried: a lane flushes a lone item through the
    // single `track` operation and several through `batch`, so both count.
    const analytics = attempts.filter((a) => a.api === 'analytics');
    expect(analytics.flatMap((a) => a.eventIds)).toEqual(expect.arrayContaining(analyticsEvents));
    for (const a of analytics) expect(a.eventIds.length).toBeGreaterThan(0);
  });

  it('a redelivered event does not repeat the CRM call', async () => {
    const before = await effects(sandbox, 'crm');
    // The same event (same eventId) again, as after a crash before the commit.
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [users[0]!]);
    await eventually('the redelivery reached the CRM', async () => {
      const r = await apiGet<unknown>(sandbox, 'crm', `/v1/contacts/${users[0]!.userId}`);
      const replays = (await fetch(`${sandbox.url}/_admin/requests?api=crm&limit=1000`).then((x) =>
        x.json(),
      )) as {
        requests: Array<{ replayed: boolean; path: string }>;
      };
      return r.status === 200 &&
        replays.requests.some((q) => q.replayed && q.path.includes(users[0]!.userId))
        ? true
        : undefined;
    });
    await sleep(500);
    const after = await effects(sandbox, 'crm');
    expect(after.totals.effects).toBe(before.totals.effects);
    expect(after.totals.duplicateKeys).toBe(0);
  });
});
