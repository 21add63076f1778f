import { loadCatalog } from '@fanout/contracts';
import type { ServiceModel } from './service-model';
import { KAFKA_CLUSTER } from './names';

export interface KafkaTopicResource {
  apiVersion: 'kafka.strimzi.io/v1';
  kind: 'KafkaTopic';
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

/** Retry tiers hold an event for at most its delay; a week covers a stopped consumer too. */
const RETRY_CONFIG = { 'cleanup.policy': 'delete', 'retention.ms': '604800000' };
/** Dead letters wait for a human: kept 30 days, like fanout.saga.dead-letter. */
const DLQ_CONFIG = { 'cleanup.policy': 'delete', 'retention.ms': '2592000000' };

/** Strimzi resource names are DNS subdomains: lower case, digits, '-' and '.'. */
export function topicResourceName(topic: string): string {
  return topic.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
}

function topic(
  name: string,
  partitions: number,
  config: Record<string, string>,
  origin: string,
): KafkaTopicResource {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: {
      name: topicResourceName(name),
      labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, 'app.kubernetes.io/part-of': 'fanout' },
      annotations: { 'fanout.dev/origin': origin },
    },
    // Base: one replica (a single-broker local cluster); the production overlay sets 3.
    spec: { topicName: name, partitions, replicas: 1, config },
  };
}

/**
 * One KafkaTopic per topic of schemas/catalog.yaml, and per consumer group its retry tiers and
 * dead-letter topic, with as many partitions as the group's widest source topic (what the
 * consumer runtime itself creates when they are missing), so a key's retries stay together.
 */
export function kafkaTopics(services: readonly ServiceModel[]): KafkaTopicResource[] {
  const catalog = loadCatalog();
  const partitionsOf = new Map(catalog.topics.map((t) => [t.name, t.partitions]));
  const topics = catalog.topics.map((t) =>
    topic(t.name, t.partitions, { ...t.config }, 'schemas/catalog.yaml'),
  );
  for (const service of services) {
    const group = service.group;
    if (!group || (group.retryTopics.length === 0 && !group.deadLetterTopic)) continue;
    const partitions = Math.max(...group.topics.map((t) => partitionsOf.get(t) ?? 1));
    const origin = `consumer group ${group.id} (${service.name})`;
    for (const retry of group.retryTopics)
      topics.push(topic(retry, partitions, RETRY_CONFIG, origin));
    if (group.deadLetterTopic)
      topics.push(topic(group.deadLetterTopic, partitions, DLQ_CONFIG, origin));
  }
  return topics;
}

/** Partitions per catalog topic. */
export function catalogPartitions(): Map<string, number> {
  return new Map(loadCatalog().topics.map((t) => [t.name, t.partitions]));
}
