import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes } from 'kafkajs';
import type { Kafka, Producer } from 'kafkajs';
import type { ApiCallAttempted, RegistryCodec } from '@fanout/contracts';
import { createTopicsReliably } from '@fanout/contracts';
import { crmConsumer } from '@fanout/crm-consumer/consumer';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { uniqueName } from '@fanout/test-platform';
import {
  PARTITIONS,
  consumerEnv,
  effects,
  eventually,
  newCodec,
  newKafka,
  produce,
  readTopic,
  sleep,
  startConsumer,
  startSandbox,
  stopConsumer,
  userRegistered,
} from './consumer-fixtures';

/**
 * The call ledger is published in batches on a timer, and the consumer commits an event's offset
 * only after the ledger records of its attempts are on the audit topic. Here the audit topic
 * refuses every record (max.message.bytes far below one record) until the test raises it: the
 * API calls happen, but no offset is committed while their records cannot be published.
 */
describe('call ledger before offset commit', () => {
  let kafka: Kafka;
  let codec: RegistryCodec;
  let producer: Producer;
  let sandbox: Sandbox;
  const topics = {
    users: uniqueName('lc-users'),
    orders: uniqueName('lc-orders'),
    ledger: uniqueName('lc-ledger'),
    contacts: uniqueName('lc-contacts'),
  };

  beforeAll(async () => {
    kafka = newKafka('ledger-commit-test');
    codec = newCodec();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    sandbox = await startSandbox();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsReliably(admin, [
        { topic: topics.users, numPartitions: PARTITIONS },
        { topic: topics.orders, numPartitions: PARTITIONS },
        {
          topic: topics.ledger,
          numPartitions: PARTITIONS,
          configEntries: [{ name: 'max.message.bytes', value: '64' }],
        },
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    await producer?.disconnect();
    await sandbox?.close();
    await codec?.close();
  });

  async function committed(groupId: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topics.users] });
      return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  it('commits no offset while the ledger cannot publish, then commits once every attempt is on the audit topic', async () => {
    const service = await startConsumer(
      crmConsumer,
      consumerEnv('crm', sandbox, topics, { LOG_LEVEL: 'silent' }),
    );
    const groupId = service.env.CONSUMER_GROUP_ID!;
    try {
      const users = Array.from({ length: 6 }, () => userRegistered());
      await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', users);
      await eventually('every contact created', async () =>
        (await effects(sandbox, 'crm')).totals.keys >= users.length ? true : undefined,
      );
      // Several commit intervals (1 s) pass: the events are handled, their records are not out.
      await sleep(3_000);
      expect(await committed(groupId)).toBe(0);
      expect(service.ledger.stats.buffered).toBeGreaterThanOrEqual(users.length);

      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topics.ledger,
              configEntries: [{ name: 'max.message.bytes', value: '1048588' }],
            },
          ],
        });
      } finally {
        await admin.disconnect();
      }
      await eventually(
        'offsets committed',
        async () => ((await committed(groupId)) >= users.length ? true : undefined),
        30_000,
      );
      // Every committed event's attempt is on the audit topic.
      const wanted = new Set(users.map((u) => u.metadata.eventId));
      const records = await readTopic(kafka, codec, topics.ledger, (rs) =>
        [...wanted].every((id) =>
          rs.some((r) => (r.value as ApiCallAttempted).eventIds.includes(id)),
        ),
      );
      for (const id of wanted) {
        expect(records.some((r) => (r.value as ApiCallAttempted).eventIds.includes(id))).toBe(true);
      }
    } finally {
      await stopConsumer(service);
    }
  });
});
