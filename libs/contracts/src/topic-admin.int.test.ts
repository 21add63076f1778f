import { Kafka, logLevel } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { createCatalog } from './catalog';
import { catalogData } from './generated/catalog-data';
import { ensureTopics } from './topic-admin';

const endpoints = platformEndpoints();
const USER = 'fanout.user.UserRegistered';

describe('ensureTopics on the real broker (auto-create off)', () => {
  const events = uniqueName('ct-events');
  const snapshots = uniqueName('ct-snapshots');
  const catalog = createCatalog({
    compatibility: 'FULL_TRANSITIVE',
    topics: {
      [events]: {
        partitions: 3,
        config: { 'cleanup.policy': 'delete', 'retention.ms': '3600000' },
      },
      [snapshots]: { partitions: 1, config: { 'cleanup.policy': 'compact' } },
    },
    events: { [USER]: { ...catalogData.events[USER]!, topic: events } },
  });
  const kafka = new Kafka({ brokers: endpoints.kafkaBrokers, logLevel: logLevel.NOTHING });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [events, snapshots] }).catch(() => {});
    await admin.disconnect();
  });

  it('creates missing topics with the catalog partitions and configs', async () => {
    const report = await ensureTopics(admin, catalog, { replicationFactor: 1 });
    expect(report.created.sort()).toEqual([events, snapshots].sort());
    expect(report.drift).toEqual([]);

    const metadata = await admin.fetchTopicMetadata({ topics: [events, snapshots] });
    const partitions = Object.fromEntries(
      metadata.topics.map((t) => [t.name, t.partitions.length]),
    );
    expect(partitions).toEqual({ [events]: 3, [snapshots]: 1 });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [events, snapshots].map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    const value = (topic: string, name: string) =>
      configs.resources
        .find((r) => r.resourceName === topic)
        ?.configEntries.find((e) => e.configName === name)?.configValue;
    expect(value(events, 'cleanup.policy')).toBe('delete');
    expect(value(events, 'retention.ms')).toBe('3600000');
    expect(value(snapshots, 'cleanup.policy')).toBe('compact');
  });

  it('is idempotent: a second run creates nothing and finds no drift', async () => {
    const report = await ensureTopics(admin, catalog, { replicationFactor: 1 });
    expect(report).toEqual({ created: [], existing: [events, snapshots], drift: [] });
  });

  it('reports drift of partitions and configs without repairing it, and can fail on it', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: events, count: 4 }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: snapshots,
          configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ],
    });
    const report = await ensureTopics(admin, catalog, { replicationFactor: 1 });
    expect(report.drift).toEqual(
      expect.arrayContaining([
        { topic: events, setting: 'partitions', expected: '3', actual: '4' },
        { topic: snapshots, setting: 'cleanup.policy', expected: 'compact', actual: 'delete' },
      ]),
    );
    await expect(
      ensureTopics(admin, catalog, { replicationFactor: 1, failOnDrift: true }),
    ).rejects.toMatchObject({
      code: 'FANOUT_CONFIG_INVALID',
      message: expect.stringContaining(`${events} partitions is 4, expected 3`),
    });
  });
});
