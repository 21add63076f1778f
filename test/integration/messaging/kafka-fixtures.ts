import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { createTopicsReliably } from '@fanout/contracts';
import { platformEndpoints } from '@fanout/test-platform';
import { readHeaders } from '@fanout/messaging';

export function testKafka(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsReliably(admin, [{ topic, numPartitions: partitions }]);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Cleanup is best effort: names are unique per run anyway.
  } finally {
    await admin.disconnect();
  }
}

/** A Fanout-shaped event value with its metadata record. */
export function testEvent(key: string, seq: number, extra: Record<string, unknown> = {}) {
  return {
    metadata: {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId: randomUUID(),
      causationId: null,
      producer: 'messaging-tests',
    },
    key,
    seq,
    ...extra,
  };
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `count` records arrived or the time is up. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ partition, message }: { partition: number; message: KafkaMessage }) => {
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: readHeaders(message.headers),
      });
      if (records.length >= count) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return records;
}

/** Polls `condition` every 50 ms until true or `timeoutMs`; returns the last result. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}
