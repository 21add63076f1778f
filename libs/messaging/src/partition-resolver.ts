import { Partitioners } from 'kafkajs';
import type { Admin, Kafka, PartitionMetadata } from 'kafkajs';

/**
 * Computes the partition of a keyed record exactly as kafkajs' default partitioner would
 * (murmur2 of the key over all partitions), so the publisher knows where each record goes and
 * can check that the broker acknowledged every one of those partitions.
 *
 * Partition counts are cached per topic; `forget` drops a topic's entry after a failure, so an
 * expanded topic is picked up on the next send.
 */
export class PartitionResolver {
  private admin: Admin | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly cache = new Map<string, PartitionMetadata[]>();

  constructor(private readonly kafka: Kafka) {}

  async partitionOf(topic: string, key: string): Promise<number> {
    const partitionMetadata = await this.metadata(topic);
    return this.partitioner({ topic, partitionMetadata, message: { key, value: null } });
  }

  forget(topic: string): void {
    this.cache.delete(topic);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.disconnect();
  }

  private async metadata(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.cache.get(topic);
    if (cached) return cached;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions`);
    const sorted = [...partitions].sort((a, b) => a.partitionId - b.partitionId);
    this.cache.set(topic, sorted);
    return sorted;
  }
}
