// Evidence for the broker version choice (deploy/local/README.md "Why Kafka 4.1.1"): every
// kafkajs 2.2.4 feature Fanout relies on works against the platform's broker.
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

const kafka = new Kafka({
  brokers: platformEndpoints().kafkaBrokers,
  clientId: 'kafkajs-compat',
  logLevel: logLevel.NOTHING,
});
let admin: Admin;
const topic = uniqueName('compat');

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

async function readAll(
  groupId: string,
  expected: number,
  isolation: { readUncommitted: boolean },
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, ...isolation });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen.length} of ${expected} records within 30 s`)),
        30_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

describe('kafkajs 2.2.4 against the platform broker', () => {
  it('creates topics through the admin client', async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('an idempotent producer with acks=all, a committed transaction and a consumer group all work', async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'idempotent' }] });
    await producer.disconnect();

    const tx = kafka.producer({
      transactionalId: uniqueName('compat-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await tx.connect();
    const committed = await tx.transaction();
    await committed.send({ topic, messages: [{ key: 'b', value: 'committed' }] });
    await committed.commit();
    const aborted = await tx.transaction();
    await aborted.send({ topic, messages: [{ key: 'c', value: 'aborted' }] });
    await aborted.abort();
    await tx.disconnect();

    // read_committed (kafkajs' default) sees the committed record and never the aborted one.
    const values = await readAll(uniqueName('compat-group'), 2, { readUncommitted: false });
    expect(values.sort()).toEqual(['committed', 'idempotent']);
  });

  it('a consumer group commits offsets the admin client can read back', async () => {
    const groupId = uniqueName('compat-offsets');
    await readAll(groupId, 2, { readUncommitted: false });
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed =
      offsets[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) ?? 0;
    // Two data records plus transaction markers: at least the two records are committed.
    expect(committed).toBeGreaterThanOrEqual(2);
  });
});
