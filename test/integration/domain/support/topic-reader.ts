import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { RegistryCodec } from '@fanout/contracts';
import { createTopicsReliably } from '@fanout/contracts';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

export interface TopicRecord {
  key: string | null;
  eventId: string;
  eventType: string;
  headers: Record<string, string>;
  value: unknown;
  partition: number;
}

const endpoints = platformEndpoints();
export const kafka = new Kafka({
  clientId: 'domain-tests',
  brokers: endpoints.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
export const codec = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl } });

/** One config value of a topic as the broker reports it (undefined when the topic is missing). */
export async function topicConfigValue(topic: string, name: string): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
    });
    return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(topic: string, partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsReliably(admin, [{ topic, numPartitions: partitions, replicationFactor: 1 }]);
  } finally {
    await admin.disconnect();
  }
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined && last !== null) out[name] = last.toString();
  }
  return out;
}

/**
 * Reads a topic from the beginning with a fresh consumer group. Returns once `expected`
 * records arrived and then `quietMs` passed without more (so a duplicate would be seen), or
 * when `timeoutMs` passes: the caller asserts on what it got.
 */
export async function readTopic(
  topic: string,
  options: { expected: number; timeoutMs?: number; quietMs?: number },
): Promise<TopicRecord[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const quietMs = options.quietMs ?? 3_000;
  const records: TopicRecord[] = [];
  const consumer = kafka.consumer({
    groupId: uniqueName('domain-test-reader'),
    sessionTimeout: 10_000,
  });
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers = headersOf(message);
        const decoded = message.value ? await codec.decode(message.value) : undefined;
        records.push({
          key: message.key?.toString() ?? null,
          eventId: headers['messaging.message.id'] ?? '',
          eventType: decoded?.eventType ?? '',
          headers,
          value: decoded?.value,
          partition,
        });
        lastArrival = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (records.length >= options.expected && Date.now() - lastArrival >= quietMs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}
