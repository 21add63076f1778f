import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { InventoryReleased, RegistryCodec } from '@fanout/contracts';
import { consumerServiceEnv, defineConsumer, loadConsumerConfig } from '@fanout/consumer-kit';
import { idempotencyKey } from '@fanout/downstream';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { env as envFields } from '@fanout/service-kit';
import { uniqueName } from '@fanout/test-platform';
import { z } from 'zod';
import {
  consumerHarness,
  consumerEnv,
  createConsumerTopics,
  produce,
  readTopic,
  startConsumer,
  stopConsumer,
  userRegistered,
} from './consumer-fixtures';

/**
 * The "execute a command and publish a reply" shape saga participants use: a handler publishes
 * an event caused by the one it handles, through the kit's `publish`.
 */
const schema = z.object({
  ...consumerServiceEnv({ port: 0, groupId: 'reply-test' }),
  USER_EVENTS_TOPIC: envFields.topic('unused'),
  REPLIES_TOPIC: envFields.topic('unused'),
});

const replier = defineConsumer({
  name: 'reply-test',
  api: 'inventory',
  loadConfig: (source) => loadConsumerConfig(schema, 'INVENTORY', source),
  topics: (config) => [config.USER_EVENTS_TOPIC],
  publishes: (config) => ({ 'fanout.inventory.InventoryReleased': config.REPLIES_TOPIC }),
  createApi: () => ({}),
  handlers: {
    'fanout.user.UserRegistered': async (user, { publish }) => {
      await publish('fanout.inventory.InventoryReleased', { orderId: user.userId });
    },
  },
});

describe('consumer replies', () => {
  let kafka: Kafka;
  let codec: RegistryCodec;
  let producer: Producer;
  let sandbox: Sandbox;

  beforeAll(async () => {
    ({ kafka, codec, producer, sandbox } = await consumerHarness());
  });

  afterAll(async () => {
    await producer?.disconnect();
    await codec?.close();
    await sandbox?.close();
  });

  it('a reply carries the correlation and cause of its command, and a redelivered command republishes the same reply eventId', async () => {
    const topics = await createConsumerTopics(kafka);
    const replies = uniqueName('c-replies');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: replies, numPartitions: 3 }],
    });
    await admin.disconnect();
    const env: Record<string, string> = {
      ...consumerEnv('inventory', sandbox, topics, { DEDUPE_ENABLED: 'false' }),
      REPLIES_TOPIC: replies,
    };
    const service = await startConsumer(replier, env);
    try {
      const command = userRegistered();
      // Delivered twice, as after a crash before the commit.
      await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [command]);
      await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [command]);
      const records = await readTopic(kafka, codec, replies, (rs) => rs.length >= 2);
      expect(records).toHaveLength(2);
      const [first, second] = records.map((r) => r.value as InventoryReleased);
      expect(first).toMatchObject({
        orderId: command.userId,
        metadata: {
          correlationId: command.metadata.correlationId,
          causationId: command.metadata.eventId,
          producer: 'reply-test',
          eventId: idempotencyKey(
            command.metadata.eventId,
            'publish:fanout.inventory.InventoryReleased',
          ),
        },
      });
      expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
      expect(records[0]!.key).toBe(command.userId);
    } finally {
      await stopConsumer(service);
    }
  });
});
