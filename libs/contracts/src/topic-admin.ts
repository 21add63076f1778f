import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { NonRetriableError } from '@fanout/errors';
import type { Catalog, TopicSpec } from './catalog';
import { createTopicsReliably } from './create-topics';

export interface EnsureTopicsOptions {
  /** Replicas per partition: 1 on a single local broker, 3 in production. */
  replicationFactor: number;
  /** Throw NonRetriableError FANOUT_CONFIG_INVALID when an existing topic drifted. Default false. */
  failOnDrift?: boolean;
}

/** One way an existing topic differs from the catalog. */
export interface TopicDrift {
  topic: string;
  /** `partitions` or a config name such as `retention.ms`. */
  setting: string;
  expected: string;
  actual: string;
}

export interface EnsureTopicsReport {
  created: string[];
  existing: string[];
  drift: TopicDrift[];
}

/** Creates the catalog's missing topics and reports drift of existing ones. */
export function ensureTopics(
  admin: Admin,
  catalog: Catalog,
  options: EnsureTopicsOptions,
): Promise<EnsureTopicsReport> {
  return ensureTopicSpecs(admin, catalog.topics, options);
}

/**
 * Creates missing topics (the broker's auto-create is off) and compares existing ones with
 * their spec. Drift is reported, never repaired: adding partitions re-maps keys to partitions
 * and breaks per-key order, so that is an operator's decision. Also usable for topics outside
 * the catalog, such as retry and dead-letter topics.
 */
export async function ensureTopicSpecs(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions,
): Promise<EnsureTopicsReport> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.name));
  const created: string[] = [];
  if (missing.length > 0) {
    try {
      await createTopicsReliably(
        admin,
        missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: options.replicationFactor,
          configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
        })),
      );
    } catch (error) {
      // Another instance created some of them first: fine, they are compared below.
      if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
    }
    const now = new Set(await admin.listTopics());
    for (const s of missing) if (now.has(s.name)) created.push(s.name);
  }

  const existing = specs.filter((s) => !created.includes(s.name));
  const drift: TopicDrift[] = [];
  if (existing.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.name) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: existing.map((s) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name: s.name,
        configNames: Object.keys(s.config),
      })),
    });
    for (const spec of existing) {
      const partitions = metadata.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
      if (partitions !== spec.partitions)
        drift.push({
          topic: spec.name,
          setting: 'partitions',
          expected: String(spec.partitions),
          actual: String(partitions),
        });
      const entries =
        configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
      for (const [name, expected] of Object.entries(spec.config)) {
        const actual = entries.find((e) => e.configName === name)?.configValue ?? '(unset)';
        if (actual !== expected) drift.push({ topic: spec.name, setting: name, expected, actual });
      }
    }
  }
  if (options.failOnDrift && drift.length > 0)
    throw new NonRetriableError(
      'FANOUT_CONFIG_INVALID',
      `topics differ from the catalog: ${drift.map((d) => `${d.topic} ${d.setting} is ${d.actual}, expected ${d.expected}`).join('; ')}`,
      { details: { drift } },
    );
  return { created, existing: existing.map((s) => s.name), drift };
}
