import { AssignerProtocol } from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';

export const CO_PARTITION_ASSIGNER = 'fanout-co-partition';

/**
 * Assigns partition p of every subscribed topic to the same member, so the member that owns a
 * saga's state (changelog partition p) also receives its trigger (order events p) and its
 * replies (replies p). kafkajs' default round robin spreads each topic independently.
 *
 * Partitions go to members in turn (p mod n over members sorted by id), which is deterministic,
 * so every member's leader computes the same plan. All subscribed topics must have the same
 * partition count; the coordinator checks that at start, and a mismatch here is refused loudly
 * rather than silently splitting a saga across members.
 */
export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER,
  version: 1,
  protocol({ topics }) {
    return {
      name: CO_PARTITION_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.alloc(0),
      }),
    };
  },
  async assign({ members, topics }) {
    const counts = topics.map((topic) => ({
      topic,
      partitions: cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId),
    }));
    const sizes = new Set(counts.map((c) => c.partitions.length));
    if (sizes.size > 1) {
      throw new Error(
        `co-partitioned topics differ in partition count: ${counts
          .map((c) => `${c.topic}=${c.partitions.length}`)
          .join(', ')}`,
      );
    }
    const plan = coPartitionPlan(
      members.map((m) => m.memberId),
      topics,
      counts[0]?.partitions.length ?? 0,
    );
    return [...plan.entries()].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment,
        userData: Buffer.alloc(0),
      }),
    }));
  },
});

/** memberId → topic → partitions; partition p of every topic goes to the same member. */
export function coPartitionPlan(
  memberIds: readonly string[],
  topics: readonly string[],
  partitionCount: number,
): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const plan = new Map<string, Record<string, number[]>>();
  for (const id of members)
    plan.set(id, Object.fromEntries(topics.map((t) => [t, [] as number[]])));
  if (members.length === 0) return plan;
  for (let p = 0; p < partitionCount; p++) {
    const owner = plan.get(members[p % members.length]!)!;
    for (const topic of topics) owner[topic]!.push(p);
  }
  return plan;
}
