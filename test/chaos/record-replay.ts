import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Message } from 'kafkajs';
import { withTransientRetry } from './transient-retry';

/** Partition → next offset (the high watermark) of each topic. */
export type TopicEnds = Map<string, Map<number, bigint>>;

export function topicEnds(kafka: Kafka, topics: readonly string[]): Promise<TopicEnds> {
  return withTransientRetry('reading topic ends', () => topicEndsOnce(kafka, topics));
}

async function topicEndsOnce(kafka: Kafka, topics: readonly string[]): Promise<TopicEnds> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: TopicEnds = new Map();
    for (const topic of topics)
      ends.set(
        topic,
        new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])),
      );
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** The broker that leads the most partitions of `topics`: killing it moves the most leaders. */
export async function busiestLeader(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
    const led = new Map<number, number>();
    for (const t of metadata)
      for (const p of t.partitions) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
    const [best] = [...led].sort((a, b) => b[1] - a[1]);
    if (!best) throw new Error(`no leader found for ${topics.join(', ')}`);
    return best[0];
  } finally {
    await admin.disconnect();
  }
}

interface CopiedRecord {
  topic: string;
  partition: number;
  message: Message;
}

/**
 * Produces a second copy of every committed record of `topics` between `from` and `to`
 * (exclusive), byte for byte (key, value, headers) and to the same partition, as a producer
 * that retried after a lost acknowledgement, or an outbox relay that crashed before marking its
 * rows sent, would. Returns how many records were copied per topic.
 */
export async function produceAgain(
  kafka: Kafka,
  from: TopicEnds,
  to: TopicEnds,
  timeoutMs = 60_000,
): Promise<Record<string, number>> {
  const wanted = new Map<string, { start: bigint; end: bigint }>();
  for (const [topic, partitions] of to)
    for (const [partition, end] of partitions) {
      const start = from.get(topic)?.get(partition) ?? 0n;
      if (end > start) wanted.set(`${topic}/${partition}`, { start, end });
    }
  const copies: CopiedRecord[] = [];
  if (wanted.size > 0) {
    const remaining = new Set(wanted.keys());
    const consumer = kafka.consumer({
      groupId: `chaos-replay-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    try {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const key = `${payload.topic}/${payload.partition}`;
        const range = wanted.get(key);
        if (range && BigInt(payload.lastOffset) + 1n >= range.end) remaining.delete(key);
      });
      const topics = [...new Set([...wanted.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))];
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const range = wanted.get(`${topic}/${partition}`);
          const offset = BigInt(message.offset);
          if (!range || offset < range.start || offset >= range.end) return;
          copies.push({
            topic,
            partition,
            message: { key: message.key, value: message.value, headers: message.headers },
          });
        },
      });
      const deadline = Date.now() + timeoutMs;
      while (remaining.size > 0) {
        if (Date.now() > deadline)
          throw new Error(`replay: ${[...remaining].join(', ')} not read within ${timeoutMs} ms`);
        await sleep(100);
      }
    } finally {
      await consumer.disconnect();
    }
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const counts: Record<string, number> = {};
  try {
    // One partition per send: kafkajs 2.2.4 can drop a partition from a multi-partition send
    // on leader failover (deploy/local/README.md); one partition per call is the guard.
    const groups = new Map<string, CopiedRecord[]>();
    for (const copy of copies) {
      const key = `${copy.topic}/${copy.partition}`;
      groups.set(key, [...(groups.get(key) ?? []), copy]);
    }
    for (const group of groups.values()) {
      const { topic, partition } = group[0]!;
      const metadata = await producer.send({
        topic,
        acks: -1,
        messages: group.map((c) => ({ ...c.message, partition })),
      });
      if (!metadata.some((m) => m.partition === partition && m.errorCode === 0))
        throw new Error(`replay of ${topic}/${partition} not acknowledged`);
      counts[topic] = (counts[topic] ?? 0) + group.length;
    }
  } finally {
    await producer.disconnect();
  }
  return counts;
}

/**
 * Moves a stopped consumer group back to `offsets` on `topics`, so it consumes those records
 * again. The group must have no member (Kafka refuses otherwise).
 */
export async function rewindGroup(
  kafka: Kafka,
  groupId: string,
  offsets: TopicEnds,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [topic, partitions] of offsets)
      await admin.setOffsets({
        groupId,
        topic,
        partitions: [...partitions].map(([partition, offset]) => ({
          partition,
          offset: offset.toString(),
        })),
      });
  } finally {
    await admin.disconnect();
  }
}
