import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { RetriableError } from '@fanout/errors';
import type { OutboxRow } from './outbox-store';

/** Finds which of some outbox rows are already on their topics, by eventId. */
export interface PublishedEventFinder {
  /** `since`: no earlier than the publish of any of the rows started (epoch ms). */
  findPublished(rows: readonly OutboxRow[], since: number): Promise<Set<string>>;
}

// Producer CreateTime comes from this machine's clock, so only a broker using LogAppendTime
// could stamp earlier; a minute covers clock skew between them.
const CLOCK_SKEW_MS = 60_000;
const EVENT_ID_HEADER = 'messaging.message.id';

interface Range {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * Reads each partition of the rows' topics from the first record at or after `since` up to the
 * current end, collecting `messaging.message.id` headers. The read is bounded by time, not by
 * a guessed count, so it stays correct on topics other producers also write to. It runs only
 * after a restart that left rows in doubt, before the relay publishes anything new.
 */
export function kafkaPublishedEventFinder(
  kafka: Kafka,
  options: { timeoutMs?: number } = {},
): PublishedEventFinder {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    async findPublished(rows, since) {
      const wanted = new Set(rows.map((r) => r.eventId));
      const found = new Set<string>();
      const ranges: Range[] = [];
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        for (const topic of new Set(rows.map((r) => r.topic))) {
          // A topic that does not exist holds none of them (and would fail the offset lookups).
          if (!existing.has(topic)) continue;
          const starts = await admin.fetchTopicOffsetsByTimestamp(topic, since - CLOCK_SKEW_MS);
          const ends = await admin.fetchTopicOffsets(topic);
          for (const end of ends) {
            const start = starts.find((s) => s.partition === end.partition);
            const from = BigInt(start?.offset ?? '-1');
            const to = BigInt(end.high);
            if (from >= 0n && from < to) ranges.push({ topic, partition: end.partition, from, to });
          }
        }
      } finally {
        await admin.disconnect();
      }
      if (ranges.length === 0) return found;

      const pending = new Map(ranges.map((r) => [`${r.topic}:${r.partition}`, r]));
      const consumer = kafka.consumer({
        groupId: `outbox-recovery-${randomUUID()}`,
        retry: { retries: 2 },
      });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.connect();
      try {
        await consumer.subscribe({
          topics: [...new Set(ranges.map((r) => r.topic))],
          fromBeginning: false,
        });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const range = pending.get(`${topic}:${partition}`);
            const offset = BigInt(message.offset);
            if (range === undefined || offset < range.from) return;
            const id = message.headers?.[EVENT_ID_HEADER];
            const eventId = Array.isArray(id) ? id[id.length - 1]?.toString() : id?.toString();
            if (eventId !== undefined && wanted.has(eventId)) found.add(eventId);
            if (offset + 1n >= range.to) {
              pending.delete(`${topic}:${partition}`);
              if (pending.size === 0) finish();
            }
          },
        });
        for (const range of ranges)
          consumer.seek({
            topic: range.topic,
            partition: range.partition,
            offset: range.from.toString(),
          });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        const outcome = await Promise.race([done.then(() => 'done' as const), timeout]);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          throw new RetriableError(
            'FANOUT_PUBLISH_FAILED',
            `outbox recovery could not read ${pending.size} partition(s) in ${timeoutMs} ms`,
          );
        }
        return found;
      } finally {
        await consumer.disconnect().catch(() => undefined);
      }
    },
  };
}
