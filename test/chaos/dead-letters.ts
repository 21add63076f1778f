import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { withTransientRetry } from './transient-retry';

/** The header every poison record carries; dead-letter copies keep the original headers. */
export const POISON_HEADER = 'chaos.poison-id';

/** The saga coordinator's dead-letter topic (the consumer services use `<group>.dlq`). */
export const SAGA_DEAD_LETTER_TOPIC = 'fanout.saga.dead-letter';

/**
 * Who consumes each topic a poison record may be put on, as the dead-letter topic that a record
 * it cannot read ends up in. One poison record on `fanout.user.events` is owed one dead letter
 * in each of the four fan-out consumers' dead-letter topics.
 */
export const DEAD_LETTER_TOPICS_OF: Readonly<Record<string, readonly string[]>> = {
  'fanout.user.events': [
    'email-consumer.dlq',
    'crm-consumer.dlq',
    'analytics-consumer.dlq',
    'search-consumer.dlq',
  ],
  'fanout.order.events': [
    'email-consumer.dlq',
    'crm-consumer.dlq',
    'analytics-consumer.dlq',
    'search-consumer.dlq',
    'order-service.dlq',
    SAGA_DEAD_LETTER_TOPIC,
  ],
  'fanout.inventory.commands': ['inventory-consumer.dlq'],
  'fanout.payment.commands': ['payment-consumer.dlq'],
  'fanout.shipping.commands': ['shipping-consumer.dlq'],
  'fanout.saga.replies': [SAGA_DEAD_LETTER_TOPIC],
};

/** A record the suite put on a consumed topic on purpose. */
export interface PoisonRecord {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  kind: string;
}

/** One record of a dead-letter topic, with what its headers say about where it came from. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  /** The record's key: the aggregate id (user or order) of the event it failed on. */
  key: string | undefined;
  poisonId: string | undefined;
  originalTopic: string | undefined;
  originalOffset: string | undefined;
  errorCode: string | undefined;
  /** Why it was dead-lettered (`poison`, `non-retriable`, `retries-exhausted`) and the error. */
  reason: string | undefined;
  errorMessage: string | undefined;
  eventType: string | undefined;
}

export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith('.dlq') || topic === SAGA_DEAD_LETTER_TOPIC;
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/**
 * Reads every dead-letter topic of the cluster from the beginning to its current end, with a
 * fresh consumer group, bounded in time. The end is fixed when the read starts.
 */
export function readDeadLetters(kafka: Kafka, timeoutMs = 60_000): Promise<DeadLetter[]> {
  return withTransientRetry('reading the dead-letter topics', () => readOnce(kafka, timeoutMs));
}

async function readOnce(kafka: Kafka, timeoutMs: number): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter(isDeadLetterTopic).sort();
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic))
        if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return [];

  const letters: DeadLetter[] = [];
  const remaining = new Map(ends);
  const consumer = kafka.consumer({
    groupId: `chaos-dlq-reader-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  try {
    // Progress per partition from the batch events: they also report batches that held only
    // transaction markers (the saga coordinator writes its dead letters in transactions).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = `${payload.topic}/${payload.partition}`;
      const end = ends.get(key);
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(key);
    });
    const dlqTopics = [...new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))];
    await consumer.subscribe({ topics: dlqTopics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const end = ends.get(`${topic}/${partition}`);
        if (end === undefined || BigInt(message.offset) >= end) return;
        letters.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8'),
          poisonId: header(message.headers, POISON_HEADER),
          originalTopic: header(message.headers, 'fanout.original.topic'),
          originalOffset: header(message.headers, 'fanout.original.offset'),
          errorCode: header(message.headers, 'fanout.error.code'),
          reason: header(message.headers, 'fanout.dead_letter.reason'),
          errorMessage: header(message.headers, 'fanout.error.message'),
          eventType: header(message.headers, 'fanout.event_type'),
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (remaining.size > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `reading the dead-letter topics: ${[...remaining.keys()].join(', ')} not read to the end within ${timeoutMs} ms`,
        );
      await sleep(100);
    }
  } finally {
    await consumer.disconnect();
  }
  return letters;
}
