import type { Admin } from 'kafkajs';
import { wrapKafkaError } from './event-publisher';

/**
 * Creates the runtime's own topics (retry tiers and dead-letter) when missing: brokers run
 * with auto-create off. They get as many partitions as the widest source topic, so the
 * retried events of a key stay together. Existing topics are left as they are.
 */
export async function ensureRuntimeTopics(
  admin: Admin,
  sourceTopics: readonly string[],
  ownTopics: readonly string[],
  partitions?: number,
): Promise<void> {
  try {
    let count = partitions;
    if (count === undefined) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [...sourceTopics] });
      count = Math.max(1, ...topics.map((t) => t.partitions.length));
    }
    const existing = new Set(await admin.listTopics());
    const missing = ownTopics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: count })),
    });
  } catch (error) {
    // Another instance of the group may have created them between our list and create.
    if ((error as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return;
    throw wrapKafkaError(error, 'cannot create retry and dead-letter topics');
  }
}
