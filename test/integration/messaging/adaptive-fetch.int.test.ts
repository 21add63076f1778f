import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
import { createTopicsReliably } from '@fanout/contracts';
import { enableAdaptiveFetch } from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

/**
 * Adaptive fetch against the real broker: a consumer whose busy fetches wait 25 ms for 64 KiB
 * long-polls 500 ms with min bytes 1 once a fetch came back empty. Counted: fetches sent while
 * idle, with and without it; and a record produced to an idle consumer still arrives.
 */
describe('adaptive fetch', () => {
  const kafka = new Kafka({
    clientId: 'adaptive-fetch-test',
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName('adaptive-fetch');
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsReliably(admin, [{ topic, numPartitions: 1 }]);
    } finally {
      await admin.disconnect();
    }
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer?.disconnect();
  });

  /** A busy-tuned consumer; resolves once it has joined, with its fetch count and records. */
  async function consumer(adaptive: boolean) {
    const groupId = uniqueName('adaptive-fetch-group');
    const undo = adaptive
      ? enableAdaptiveFetch(groupId, {
          busyMinBytes: 65_536,
          busyMaxWaitMs: 25,
          idleMaxWaitMs: 500,
        })
      : () => undefined;
    const c = kafka.consumer({ groupId, minBytes: 65_536, maxWaitTimeInMs: 25 });
    consumers.push(c);
    const seen = { fetches: 0, records: [] as string[] };
    c.on(c.events.FETCH, () => (seen.fetches += 1));
    const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
    await c.connect();
    await c.subscribe({ topic, fromBeginning: false });
    await c.run({
      eachMessage: async ({ message }) => {
        seen.records.push(message.value?.toString() ?? '');
      },
    });
    await joined;
    return { seen, undo };
  }

  const idleFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('an idle consumer long-polls: a few fetches in 3 s instead of one per busy wait', async () => {
    const [plain, adaptive] = await Promise.all([consumer(false), consumer(true)]);
    await idleFor(1_000); // past the first fetches after the join
    const before = { plain: plain.seen.fetches, adaptive: adaptive.seen.fetches };
    await idleFor(3_000);
    const plainFetches = plain.seen.fetches - before.plain;
    const adaptiveFetches = adaptive.seen.fetches - before.adaptive;
    // 3 s / 25 ms = 120 fetches for the busy-tuned consumer; 3 s / 500 ms = 6 long polls.
    expect(plainFetches).toBeGreaterThan(40);
    expect(adaptiveFetches).toBeLessThanOrEqual(10);
    adaptive.undo();
  });

  it('a record produced to an idle consumer arrives, and the consumer goes back to idle', async () => {
    const { seen, undo } = await consumer(true);
    await idleFor(1_000);
    await producer.send({ topic, acks: -1, messages: [{ value: 'lone' }] });
    const deadline = Date.now() + 10_000;
    while (!seen.records.includes('lone') && Date.now() < deadline) await idleFor(20);
    expect(seen.records).toContain('lone');
    await idleFor(500);
    const before = seen.fetches;
    await idleFor(2_000);
    expect(seen.fetches - before).toBeLessThanOrEqual(7);
    undo();
  });
});
