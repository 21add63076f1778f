import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';

/** One partition range to look at: offsets `from` (inclusive) to `end` (exclusive). */
export interface TailRequest {
  topic: string;
  partition: number;
  /** At or above the partition's log start offset. */
  from: number;
  /** The high watermark as read before the call; later records are not looked at. */
  end: number;
}

/** `${topic}/${partition}` */
export function tailKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/**
 * For each range, the offset of its last real record: what a read-committed consumer is given,
 * so neither a transaction marker nor an aborted record. `null` when the range holds none.
 * A range not read to its end within `timeoutMs` answers `end - 1` (counted as a record, the
 * upper bound).
 *
 * It reads with a throwaway consumer group that commits nothing and is deleted afterwards, so
 * nobody's offsets move. A range is done when a fetched batch reaches `end - 1`, markers
 * included: kafkajs reports batches that held only markers (END_BATCH_PROCESS with size 0), so
 * no "nothing came for a while" guess is needed.
 */
export async function lastRecordOffsets(
  kafka: Kafka,
  admin: Admin,
  requests: readonly TailRequest[],
  options: { timeoutMs?: number } = {},
): Promise<Map<string, number | null>> {
  const found = new Map<string, number | null>();
  const pending = new Map<string, TailRequest>();
  for (const r of requests) {
    found.set(tailKey(r.topic, r.partition), null);
    if (r.from < r.end) pending.set(tailKey(r.topic, r.partition), r);
  }
  if (pending.size === 0) return found;

  const groupId = `fanout-cli-tail-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 300,
    sessionTimeout: 30_000,
    allowAutoTopicCreation: false,
  });
  const wanted = new Map(pending);
  try {
    await consumer.connect();
    // Not from the beginning: partitions nobody asked about stay at their end, and the asked
    // ones are sought to their `from` before their first fetch.
    await consumer.subscribe({
      topics: [...new Set([...wanted.values()].map((r) => r.topic))],
      fromBeginning: false,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 15_000);
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const key = tailKey(payload.topic, payload.partition);
        const r = pending.get(key);
        if (!r || payload.firstOffset === null) return;
        const first = Number(payload.firstOffset);
        // A batch fetched before the seek landed starts at or past `end`.
        if (first < r.from || first >= r.end) return;
        if (Number(payload.lastOffset) >= r.end - 1) pending.delete(key);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const key = tailKey(batch.topic, batch.partition);
            const r = wanted.get(key);
            if (!r) return;
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (offset < r.from || offset >= r.end) continue;
              found.set(key, Math.max(found.get(key) ?? -1, offset));
            }
          },
        })
        .then(() => {
          for (const r of wanted.values())
            consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  for (const [key, r] of pending) found.set(key, r.end - 1);
  return found;
}
