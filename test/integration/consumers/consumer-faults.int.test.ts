import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { RegistryCodec, UserRegistered } from '@fanout/contracts';
import { crmConsumer } from '@fanout/crm-consumer/consumer';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import {
  apiGet,
  consumerEnv,
  createConsumerTopics,
  effects,
  eventually,
  newCodec,
  newKafka,
  produce,
  readTopic,
  requests,
  setFaults,
  sleep,
  startConsumer,
  startSandbox,
  stopConsumer,
  topicSize,
  userRegistered,
} from './consumer-fixtures';

/**
 * The CRM consumer against a misbehaving CRM: an outage, a 429 storm, permanent 4xx answers and
 * answers that are not what the API promised. Each test gets its own topics, group and sandbox.
 */
describe('consumer against a failing API', () => {
  let kafka: Kafka;
  let codec: RegistryCodec;
  let producer: Producer;
  let sandbox: Sandbox | undefined;
  let service: Awaited<ReturnType<typeof startConsumer>> | undefined;

  beforeAll(async () => {
    kafka = newKafka();
    codec = newCodec();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterEach(async () => {
    if (service) await stopConsumer(service);
    service = undefined;
    await sandbox?.close();
    sandbox = undefined;
  });

  afterAll(async () => {
    await producer?.disconnect();
    await codec?.close();
  });

  async function contactsDelivered(users: UserRegistered[]): Promise<boolean> {
    for (const user of users) {
      const r = await apiGet<unknown>(sandbox!, 'crm', `/v1/contacts/${user.userId}`);
      if (r.status !== 200) return false;
    }
    return true;
  }

  it('a 30-second outage pauses consumption while the circuit is open; afterwards every event is delivered once', async () => {
    sandbox = await startSandbox();
    const topics = await createConsumerTopics(kafka);
    service = await startConsumer(
      crmConsumer,
      consumerEnv('crm', sandbox, topics, { CIRCUIT_FAILURES: '3', CIRCUIT_OPEN_MS: '2000' }),
    );
    const states: string[] = [];
    service.client.onCircuitChange((change) => states.push(change.to));
    let pausedEvents = 0;
    service.runtime.events.on('paused', () => (pausedEvents += 1));

    const before = [userRegistered(), userRegistered()];
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', before);
    await eventually('first contacts', async () =>
      (await contactsDelivered(before)) ? true : undefined,
    );

    const outageStart = Date.now();
    await setFaults(sandbox, 'crm', { outage: { durationMs: 30_000, status: 503 } });
    const during = Array.from({ length: 20 }, () => userRegistered());
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', during);

    await eventually('circuit open and consumption paused', async () =>
      service!.runtime.paused && states.includes('open') ? true : undefined,
    );
    expect(pausedEvents).toBeGreaterThanOrEqual(1);
    // While open, the API sees only probes: a handful of requests per open period, not a flood.
    await sleep(5_000);
    const duringOutage = (await requests(sandbox, 'crm')).filter(
      (r) => r.at > outageStart + 2_000 && r.at < Date.now(),
    );
    expect(duringOutage.length).toBeLessThan(20);

    await eventually(
      'every event delivered after the outage',
      async () => ((await contactsDelivered(during)) ? true : undefined),
      90_000,
      1_000,
    );
    expect(Date.now() - outageStart).toBeGreaterThanOrEqual(29_000);
    await eventually('circuit closed and consuming', async () =>
      service!.client.breaker?.state === 'closed' && !service!.runtime.paused ? true : undefined,
    );
    expect(states).toEqual(expect.arrayContaining(['open', 'half_open', 'closed']));

    const report = await effects(sandbox, 'crm');
    expect(report.totals).toMatchObject({ keys: 22, effects: 22, duplicateKeys: 0 });
    expect(await topicSize(kafka, service.runtime.retryPolicy.deadLetterTopic)).toBe(0);
  }, 180_000);

  it('a 429 storm: requests respect the rate limit and wait out Retry-After', async () => {
    sandbox = await startSandbox();
    const topics = await createConsumerTopics(kafka);
    // One request at a time, so every request after a 429 is one the client chose to send.
    service = await startConsumer(
      crmConsumer,
      consumerEnv('crm', sandbox, topics, {
        API_MAX_CONCURRENT: '1',
        API_RETRY_ATTEMPTS: '10',
        API_RETRY_MAX_ELAPSED_MS: '30000',
      }),
    );
    await setFaults(sandbox, 'crm', {
      rateLimit: { requestsPerSecond: 4, burst: 1, retryAfterSeconds: 1 },
    });
    const users = Array.from({ length: 16 }, () => userRegistered());
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', users);
    // Polled at the admin API: GETs on the CRM would spend the rate limit under test.
    await eventually(
      'every contact despite the storm',
      async () =>
        (await effects(sandbox!, 'crm')).totals.keys === users.length ? true : undefined,
      90_000,
      500,
    );

    const log = (await requests(sandbox, 'crm'))
      .filter((r) => r.method === 'PUT')
      .sort((a, b) => a.at - b.at);
    const limited = log.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      // Retry-After: 1 → the same call (same Idempotency-Key) is sent again no sooner than 1 s
      // after the 429 went out.
      const retried = log.find((q) => q.idempotencyKey === r.idempotencyKey && q.at > r.at);
      if (!retried) continue;
      expect(retried.at - retried.durationMs - r.at).toBeGreaterThanOrEqual(950);
    }
    // The limit held: accepted requests never exceed 4 per second plus the burst of 1.
    const accepted = log.filter((r) => r.status < 300).map((r) => r.at);
    for (const at of accepted) {
      expect(accepted.filter((t) => t >= at && t < at + 1_000).length).toBeLessThanOrEqual(5);
    }
    const report = await effects(sandbox, 'crm');
    expect(report.totals).toMatchObject({ keys: 16, duplicateKeys: 0 });
  }, 150_000);

  it('a permanent 4xx goes to the dead-letter topic with the reason; the others are delivered', async () => {
    sandbox = await startSandbox();
    const topics = await createConsumerTopics(kafka);
    service = await startConsumer(crmConsumer, consumerEnv('crm', sandbox, topics));
    // The CRM refuses an address that is not an email with 400: fixing it needs a new event.
    const bad = userRegistered({ email: 'not-an-email' });
    const good = [userRegistered(), userRegistered()];
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [
      good[0]!,
      bad,
      good[1]!,
    ]);

    const dlq = service.runtime.retryPolicy.deadLetterTopic;
    const [record] = await readTopic(kafka, codec, dlq, (rs) => rs.length >= 1);
    expect(record).toBeDefined();
    expect((record!.value as UserRegistered).metadata.eventId).toBe(bad.metadata.eventId);
    expect(record!.headers).toMatchObject({
      'fanout.error.code': 'FANOUT_API_CLIENT_ERROR',
      'fanout.error.retriable': 'false',
      'fanout.dead_letter.reason': 'non-retriable',
    });
    expect(record!.headers['fanout.error.message']).toContain('400');
    expect(record!.headers['fanout.error.message']).not.toContain('sk_sandbox');
    await eventually('the good events delivered', async () =>
      (await contactsDelivered(good)) ? true : undefined,
    );
    // Sent once: a 4xx is not retried.
    const attempts = (await requests(sandbox, 'crm')).filter((r) => r.path.includes(bad.userId));
    expect(attempts).toHaveLength(1);
  });

  it('a rejected credential does not dead-letter events at once: they travel the retry tiers first', async () => {
    sandbox = await startSandbox();
    const topics = await createConsumerTopics(kafka);
    service = await startConsumer(
      crmConsumer,
      consumerEnv('crm', sandbox, topics, {
        CRM_API_KEY: 'sk_wrong_key_for_the_crm',
        RETRY_TIERS_MS: '1000,2000',
      }),
    );
    const user = userRegistered();
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [user]);
    const policy = service.runtime.retryPolicy;
    const [dead] = await readTopic(kafka, codec, policy.deadLetterTopic, (rs) => rs.length >= 1);
    expect(dead!.headers).toMatchObject({
      'fanout.error.code': 'FANOUT_API_UNAUTHORIZED',
      'fanout.dead_letter.reason': 'retries-exhausted',
    });
    // Both tiers were visited before the dead-letter topic.
    for (const tier of policy.tiers) expect(await topicSize(kafka, tier.topic)).toBe(1);
    // The API's answer echoes the key; the record must not.
    expect(JSON.stringify(dead!.headers)).not.toContain('sk_wrong_key_for_the_crm');
  });

  it('an answer that is not JSON, or misses fields, is dead-lettered without crashing the consumer', async () => {
    sandbox = await startSandbox();
    const topics = await createConsumerTopics(kafka);
    service = await startConsumer(crmConsumer, consumerEnv('crm', sandbox, topics));
    await setFaults(sandbox, 'crm', { badResponse: { rate: 1, kind: 'non_json' } });
    const garbled = userRegistered();
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [garbled]);
    const dlq = service.runtime.retryPolicy.deadLetterTopic;
    await readTopic(kafka, codec, dlq, (rs) => rs.length >= 1);

    await setFaults(sandbox, 'crm', { badResponse: { rate: 1, kind: 'missing_fields' } });
    const partial = userRegistered();
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [partial]);
    const records = await readTopic(kafka, codec, dlq, (rs) => rs.length >= 2);
    // Two keys, two partitions of the dead-letter topic: no order between them.
    expect(records.map((r) => (r.value as UserRegistered).userId).sort()).toEqual(
      [garbled.userId, partial.userId].sort(),
    );
    expect(records.map((r) => r.headers['fanout.error.code'])).toEqual([
      'FANOUT_API_BAD_RESPONSE',
      'FANOUT_API_BAD_RESPONSE',
    ]);

    // Still consuming: the next event goes through once the API answers properly.
    await setFaults(sandbox, 'crm', null);
    const next = userRegistered();
    await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [next]);
    await eventually('the consumer still delivers', async () =>
      (await contactsDelivered([next])) ? true : undefined,
    );
  });
});
