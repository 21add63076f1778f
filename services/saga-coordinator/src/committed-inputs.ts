import type { Kafka } from 'kafkajs';

/**
 * The group's committed offsets of the given partitions of every input topic: per partition,
 * topic → next offset (partitions without a committed offset are left out). Read after the
 * previous owner's transactional id is fenced, the answer is stable: the fence returns only
 * once that owner's last transaction, offsets included, is complete.
 */
export async function committedInputOffsets(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  partitions: readonly number[],
): Promise<Map<number, Map<string, bigint>>> {
  const wanted = new Set(partitions);
  const result = new Map<number, Map<string, bigint>>(partitions.map((p) => [p, new Map()]));
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const { topic, partitions: committed } of await admin.fetchOffsets({
      groupId,
      topics: [...topics],
    })) {
      for (const { partition, offset } of committed) {
        if (!wanted.has(partition) || BigInt(offset) < 0n) continue;
        result.get(partition)!.set(topic, BigInt(offset));
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return result;
}
