import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { ApiCallAttempted, RegistryCodec, UserRegistered } from '@fanout/contracts';
import { analyticsConsumer } from '@fanout/analytics-consumer/consumer';
import { searchConsumer } from '@fanout/search-consumer/consumer';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import {
  consumerEnv,
  createConsumerTopics,
  effects,
  eventually,
  newCodec,
  newKafka,
  produce,
  readTopic,
  requests,
  sleep,
  startConsumer,
  startSandbox,
  stopConsumer,
  userRegistered,
} from './consumer-fixtures';

/**
 * Bulk lanes: analytics and search send many events per request, bounded by size and linger,
 * and map every item's result back to its own event.
 */
describe('bulk batching', () => {
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

  const cases = [
    {
      api: 'analytics' as const,
      definition: analyticsConsumer,
      operation: 'batch',
      path: '/v1/batch',
      // The analytics API refuses an event without a user id: that item alone fails (400).
      bad: () => userRegistered({ userId: '' }),
    },
    {
      api: 'search' as const,
      definition: searchConsumer,
      operation: 'bulk',
      path: '/v1/bulk',
      // The search API refuses a document id with spaces: that item alone fails (400).
      bad: () => userRegistered({ userId: 'not a valid id' }),
    },
  ];

  for (const c of cases) {
    it(`${c.api}: one bad item among many dead-letters only its own event; every other event is delivered once, in few requests`, async () => {
      sandbox = await startSandbox();
      const topics = await createConsumerTopics(kafka);
      service = await startConsumer(
        c.definition as typeof analyticsConsumer,
        consumerEnv(c.api, sandbox, topics, { BATCH_MAX_SIZE: '20', BATCH_LINGER_MS: '50' }),
      );
      const good = Array.from({ length: 60 }, () => userRegistered());
      const bad = c.bad();
      const all: UserRegistered[] = [...good.slice(0, 30), bad, ...good.slice(30)];
      await produce(
        producer,
        codec,
        topics.users,
        'fanout.user.UserRegistered',
        all,
        (u) => u.userId || 'no-user',
      );

      await eventually(
        'every good event delivered',
        async () =>
          (await effects(sandbox!, c.api)).totals.keys >= good.length ? true : undefined,
        60_000,
      );
      const dlq = service.runtime.retryPolicy.deadLetterTopic;
      const dead = await readTopic(kafka, codec, dlq, (rs) => rs.length >= 1);
      expect(dead.map((r) => (r.value as UserRegistered).metadata.eventId)).toEqual([
        bad.metadata.eventId,
      ]);
      expect(dead[0]!.headers['fanout.error.code']).toBe('FANOUT_API_CLIENT_ERROR');
      expect(dead[0]!.headers['fanout.error.message']).toContain('400');

      await sleep(500);
      const report = await effects(sandbox, c.api);
      expect(report.totals).toMatchObject({
        keys: good.length,
        effects: good.length,
        duplicateKeys: 0,
      });
      // Batched: far fewer requests than events, none larger than BATCH_MAX_SIZE.
      const bulkRequests = (await requests(sandbox, c.api)).filter(
        (r) => r.path === `/${c.api}${c.path}` || r.path === c.path,
      );
      expect(bulkRequests.length).toBeGreaterThan(0);
      expect(bulkRequests.length).toBeLessThan(all.length / 2);

      // The ledger names, for each bulk attempt, the events it carried.
      const ledger = await readTopic(
        kafka,
        codec,
        topics.ledger,
        (rs) =>
          new Set(rs.flatMap((r) => (r.value as ApiCallAttempted).eventIds)).size >= all.length,
      );
      const attempts = ledger.map((r) => r.value as ApiCallAttempted);
      expect(attempts.every((a) => a.operation === c.operation && a.eventIds.length <= 20)).toBe(
        true,
      );
      expect(new Set(attempts.flatMap((a) => a.eventIds))).toEqual(
        new Set(all.map((u) => u.metadata.eventId)),
      );
    }, 120_000);
  }
});
