import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { DeadLetterRecord } from '@fanout/dead-letters';
import { readHeaders } from '@fanout/messaging';
import { CliError } from './cli-error';

/**
 * One record as the CLI reads it: headers as strings, value left as bytes. The same shape as a
 * dead letter's (libs/dead-letters), which the dlq commands hand these records to.
 */
export type TopicRecord = DeadLetterRecord;

export interface ReadRequest {
  topic: string;
  /** Default: every partition. */
  partitions?: number[];
  /** Start here instead of the earliest offset (e.g. to read one record). */
  fromOffset?: string;
}

export interface ReadOptions {
  /** Stop as soon as this returns true for a record (it is kept). */
  stopWhen?: (record: TopicRecord) => boolean;
  timeoutMs?: number;
  onProgress?: (read: number, total: number) => void;
}

/**
 * Reads topics from the start (or an offset) up to their end as of the call, then stops. It
 * uses a throwaway consumer group that commits nothing and is deleted afterwards, so it never
 * moves anyone's offsets. Read-committed: aborted transactional records are not shown.
 */
export async function readTopics(
  kafka: Kafka,
  admin: Admin,
  requests: readonly ReadRequest[],
  options: ReadOptions = {},
): Promise<TopicRecord[]> {
  const remaining = new Map<string, bigint>(); // `${topic}/${partition}` -> last offset to read
  const first = new Map<string, bigint>();
  const starts: Array<{ topic: string; partition: number; offset: string }> = [];
  let total = 0;
  for (const request of requests) {
    const offsets = await admin.fetchTopicOffsets(request.topic);
    for (const p of offsets) {
      if (request.partitions && !request.partitions.includes(p.partition)) continue;
      const start = BigInt(request.fromOffset ?? p.low);
      const high = BigInt(p.high);
      if (high <= start) continue;
      remaining.set(`${request.topic}/${p.partition}`, high - 1n);
      first.set(`${request.topic}/${p.partition}`, start);
      starts.push({ topic: request.topic, partition: p.partition, offset: start.toString() });
      total += Number(high - start);
    }
  }
  const records: TopicRecord[] = [];
  if (remaining.size === 0) return records;

  const groupId = `fanout-cli-reader-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 300,
    sessionTimeout: 30_000,
    allowAutoTopicCreation: false,
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await consumer.connect();
    await consumer.subscribe({
      topics: [...new Set(starts.map((s) => s.topic))],
      fromBeginning: true,
    });
    await new Promise<void>((resolve, reject) => {
      let idleFetches = 0;
      let joined = false;
      const timer = setTimeout(
        () =>
          reject(
            new CliError(
              `reading ${[...new Set(starts.map((s) => s.topic))].join(', ')} took longer than ${timeoutMs / 1000} s: is the broker overloaded?`,
            ),
          ),
        timeoutMs,
      );
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      // Transaction markers and aborted records occupy offsets no record is delivered for, so
      // "caught up" is also: a few fetches in a row brought nothing new.
      consumer.on(consumer.events.FETCH, () => {
        if (joined && ++idleFetches >= 4) finish();
      });
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const id = `${topic}/${partition}`;
            const last = remaining.get(id);
            // Before the seek lands, the group may deliver from the beginning.
            if (last === undefined || BigInt(message.offset) < first.get(id)!) return;
            idleFetches = 0;
            const record: TopicRecord = {
              topic,
              partition,
              offset: message.offset,
              key: message.key ? message.key.toString('utf8') : null,
              value: message.value,
              headers: readHeaders(message.headers),
              timestamp: Number(message.timestamp),
            };
            records.push(record);
            options.onProgress?.(records.length, total);
            if (options.stopWhen?.(record)) return finish();
            if (BigInt(message.offset) >= last) remaining.delete(id);
            if (remaining.size === 0) finish();
          },
        })
        .then(() => {
          for (const s of starts) consumer.seek(s);
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return records;
}
