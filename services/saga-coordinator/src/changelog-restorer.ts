import { randomUUID } from 'node:crypto';
import { AssignerProtocol } from 'kafkajs';
import type { Kafka, PartitionAssigner } from 'kafkajs';
import { RetriableError } from '@fanout/errors';
import type { StoredSaga } from './stored-saga';
import { decodeStoredSaga } from './stored-saga';

export interface RestoreOptions {
  kafka: Kafka;
  topic: string;
  partitions: readonly number[];
  /** Give up (and let the caller retry) when the end is not reached within this time. */
  timeoutMs: number;
  onCorruptRecord?: (partition: number, offset: string, error: unknown) => void;
}

/**
 * Reads partitions of the compacted changelog from the beginning to their end and returns the
 * latest saga per key (tombstones delete). Reads committed records only, so a transaction that a
 * crashed owner left open is never restored; the caller fences that owner first (by initialising
 * its transactional producer for those partitions), so the end offset read here is final.
 *
 * kafkajs has no manual partition assignment, so this uses a throwaway consumer group whose
 * assigner hands out exactly the requested partitions and which never commits offsets.
 */
export async function restoreChangelog(
  options: RestoreOptions,
): Promise<Map<number, Map<string, StoredSaga>>> {
  const { kafka, topic, partitions } = options;
  const result = new Map<number, Map<string, StoredSaga>>(
    partitions.map((p) => [p, new Map<string, StoredSaga>()]),
  );
  if (partitions.length === 0) return result;

  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets
        .filter((o) => partitions.includes(o.partition))
        .map((o) => [o.partition, BigInt(o.low) >= BigInt(o.high) ? -1n : BigInt(o.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  // Partitions with nothing to read are done at once.
  const pending = new Set(partitions.filter((p) => (ends.get(p) ?? -1n) > 0n));
  if (pending.size === 0) return result;

  const consumer = kafka.consumer({
    groupId: `saga-restore-${randomUUID()}`,
    partitionAssigners: [onlyPartitions(topic, partitions)],
    readUncommitted: false,
    sessionTimeout: 30_000,
    maxWaitTimeInMs: 100,
  });
  const progress = (partition: number, lastOffset: string) => {
    const end = ends.get(partition);
    if (end !== undefined && BigInt(lastOffset) >= end - 1n) pending.delete(partition);
  };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Batches that only hold transaction markers never reach eachBatch; this event still reports
  // how far the consumer got.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    progress(payload.partition, payload.lastOffset);
    if (pending.size === 0) done();
  });

  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const sagas = result.get(batch.partition);
        if (!sagas) return;
        for (const message of batch.messages) {
          const key = message.key?.toString('utf8');
          if (!key) continue;
          if (message.value === null || message.value.length === 0) {
            sagas.delete(key);
            continue;
          }
          try {
            sagas.set(key, decodeStoredSaga(message.value));
          } catch (error) {
            options.onCorruptRecord?.(batch.partition, message.offset, error);
          }
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        finished,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new RetriableError(
                  'SAGA_RESTORE_TIMEOUT',
                  `changelog ${topic} partitions ${[...pending].join(',')} not restored within ${options.timeoutMs} ms`,
                ),
              ),
            options.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return result;
}

/** An assigner for a group of one: exactly these partitions of one topic. */
function onlyPartitions(topic: string, partitions: readonly number[]): PartitionAssigner {
  return () => ({
    name: 'fanout-only-partitions',
    version: 1,
    protocol({ topics }) {
      return {
        name: 'fanout-only-partitions',
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: Buffer.alloc(0),
        }),
      };
    },
    async assign({ members }) {
      return members.map((member, index) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: index === 0 ? { [topic]: [...partitions] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}
