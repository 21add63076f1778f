import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLevel } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { createTopicsReliably } from '@fanout/contracts';
import { createKafkaClient } from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

/**
 * kafkajs 2.2.4 ignores `consumer.stop()` while the consumer's first JoinGroup is pending: the
 * join returns later and a runner nobody holds fetches as a member of its own. The runtime's
 * stall restart stops a consumer exactly then, and the chaos suite saw the stray member and
 * the new one evict each other for minutes. Here a member B is stopped while its join waits
 * for member A to rejoin (A heartbeats every 10 s): B must leave the group and read nothing.
 */
describe('a kafkajs consumer stopped while it joins its group', () => {
  const kafka = createKafkaClient({
    clientId: 'stop-while-joining-test',
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName('stop-while-joining');
  const groupId = uniqueName('stop-while-joining-group');
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopicsReliably(admin, [{ topic, numPartitions: 2 }]);
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer?.disconnect();
    await admin?.disconnect();
  });

  function member(name: string) {
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 10_000,
      maxWaitTimeInMs: 100,
    });
    consumers.push(consumer);
    const seen = { records: 0, joined: false };
    consumer.on(consumer.events.GROUP_JOIN, () => (seen.joined = true));
    const run = async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async () => {
          seen.records += 1;
        },
      });
    };
    return { name, consumer, seen, run };
  }

  async function members(): Promise<number> {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  }

  it('leaves the group when its join returns, and never reads a record', async () => {
    const a = member('a');
    await a.run();
    await expect.poll(() => a.seen.joined, { timeout: 30_000 }).toBe(true);

    const b = member('b');
    const bRunning = b.run();
    // B's JoinGroup now waits for A, which learns of the rebalance at its next heartbeat.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(b.seen.joined).toBe(false);
    await b.consumer.stop();
    await bRunning;

    const values = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic, messages: values });
    await expect.poll(() => a.seen.records, { timeout: 60_000, interval: 250 }).toBe(10);
    await expect.poll(() => members(), { timeout: 60_000, interval: 1_000 }).toBe(1);
    // Long enough for a stray member's fetch loop to have read something.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(b.seen.records).toBe(0);
    expect(await members()).toBe(1);
  });
});
