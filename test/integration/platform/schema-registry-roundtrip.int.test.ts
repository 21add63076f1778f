import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

const endpoints = platformEndpoints();
const registry = new SchemaRegistry({ host: endpoints.schemaRegistryUrl });
const kafka = new Kafka({
  brokers: endpoints.kafkaBrokers,
  clientId: 'registry-roundtrip',
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const topic = uniqueName('registry');
const name = `Probe${Date.now().toString(36)}`;

const v1 = {
  type: 'record',
  name,
  namespace: 'fanout.platform.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'long' },
  ],
};

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('schema registry with Kafka', () => {
  it('a record encoded through the registry is produced, consumed and decoded back', async () => {
    const subject = `${topic}-fanout.platform.test.${name}`;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE },
    );
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const value = await registry.encode(id, { id: 'order-1', amount: 4200 });
    // Confluent wire format: magic byte 0, then the 4-byte schema id.
    expect(value[0]).toBe(0);
    expect(value.readUInt32BE(1)).toBe(id);
    const producer = kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'order-1', value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('registry-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value as Buffer);
        },
      });
    });
    await consumer.disconnect();
    expect(await registry.decode(received)).toEqual({ id: 'order-1', amount: 4200 });
  });

  it('the platform sets BACKWARD_TRANSITIVE globally, so adding a field without a default is refused', async () => {
    const config = (await (await fetch(`${endpoints.schemaRegistryUrl}/config`)).json()) as {
      compatibilityLevel: string;
    };
    expect(config.compatibilityLevel).toBe('BACKWARD_TRANSITIVE');
    const subject = uniqueName('compat-subject');
    await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE },
    );
    const withNewRequiredField = {
      ...v1,
      fields: [...v1.fields, { name: 'currency', type: 'string' }],
    };
    await expect(
      registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(withNewRequiredField) },
        { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE },
      ),
    ).rejects.toThrow();
  });
});
