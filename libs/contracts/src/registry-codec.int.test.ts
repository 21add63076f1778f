import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import type { CatalogData } from './catalog';
import { createCatalog } from './catalog';
import { newMetadata } from './event-metadata';
import { catalogData } from './generated/catalog-data';
import type { UserRegistered } from './generated/event-types';
import { RegistryCodec, isEventOf } from './registry-codec';
import { SchemaRegistryClient } from './schema-registry-client';
import { ensureTopics } from './topic-admin';
import { frame } from './wire-format';

const endpoints = platformEndpoints();
const USER = 'fanout.user.UserRegistered';

/** The real UserRegistered schema on a topic of this file's own (one partition: a test). */
function catalogWithUniqueTopics(): CatalogData {
  const topic = uniqueName('ct-users');
  return {
    compatibility: catalogData.compatibility,
    topics: { [topic]: { partitions: 1, config: {} } },
    events: { [USER]: { ...structuredClone(catalogData.events[USER]!), topic } },
  };
}

function user(): UserRegistered {
  return {
    metadata: newMetadata({ producer: 'contracts-test' }),
    userId: uniqueName('user'),
    email: 'ada@example.com',
    name: 'Ada',
    marketingConsent: true,
    locale: 'en-GB',
  };
}

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; retriable: boolean; message: string };
  }
  throw new Error('expected a rejection');
}

describe('RegistryCodec against the real registry and broker', () => {
  const catalog = createCatalog(catalogWithUniqueTopics());
  const registry = new SchemaRegistryClient({ url: endpoints.schemaRegistryUrl });
  const codec = new RegistryCodec({ registry, catalog });
  const kafka = new Kafka({ brokers: endpoints.kafkaBrokers, logLevel: logLevel.NOTHING });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, catalog, { replicationFactor: 1 });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: catalog.topics.map((t) => t.name) }).catch(() => {});
    await admin.disconnect();
    await registry.close();
  });

  it('round-trips an event through Kafka in Confluent wire format with the registered schema id', async () => {
    const spec = catalog.event(USER);
    const event = user();
    const bytes = await codec.encode(USER, event);

    // Wire format: magic byte 0, then the id the registry holds for `<topic>-<full name>`.
    const versions = await registry.versions(spec.subject);
    const registered = await registry.version(spec.subject, versions.at(-1)!);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(registered.id);
    expect(await registry.compatibility(spec.subject)).toBe('FULL_TRANSITIVE');

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: spec.topic,
      acks: -1,
      messages: [{ key: catalog.keyOf(USER, event), value: bytes }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('contracts-roundtrip') });
    await consumer.connect();
    await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
    const received = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value!);
        },
      });
    });
    await consumer.disconnect();

    expect(received.equals(bytes)).toBe(true);
    const decoded = await codec.decode(received);
    expect(decoded.schemaId).toBe(registered.id);
    expect(isEventOf(decoded, USER)).toBe(true);
    expect(decoded.value).toEqual(event);
    if (isEventOf(decoded, USER)) expect(decoded.value.metadata.occurredAt).toBeInstanceOf(Date);
  });

  it('decodes with a fresh codec from the registry alone (no local cache)', async () => {
    const event = user();
    const bytes = await codec.encode(USER, event);
    const fresh = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl }, catalog });
    try {
      expect((await fresh.decode(bytes)).value).toEqual(event);
    } finally {
      await fresh.close();
    }
  });

  it('reads events written with an older schema version into the current shape, filling defaults', async () => {
    // v1 of UserRegistered had no marketingConsent; the current schema defaults it to false.
    const topic = catalog.event(USER).topic;
    const oldData: CatalogData = {
      compatibility: 'FULL_TRANSITIVE',
      topics: { [topic]: { partitions: 1, config: {} } },
      events: { [USER]: { ...structuredClone(catalogData.events[USER]!), topic } },
    };
    const schema = oldData.events[USER]!.schema as { fields: Array<{ name: string }> };
    schema.fields = schema.fields.filter((f) => f.name !== 'marketingConsent');
    const oldCodec = new RegistryCodec({ registry, catalog: createCatalog(oldData) });

    const { marketingConsent: _, ...oldEvent } = user();
    const bytes = await oldCodec.encode(USER, oldEvent);
    const decoded = await codec.decode(bytes);
    expect(decoded.value).toEqual({ ...oldEvent, marketingConsent: false });
  });

  it('classifies poison: bad magic byte, truncation, unknown schema id, body not matching', async () => {
    const good = await codec.encode(USER, user());
    const schemaId = good.readUInt32BE(1);

    const badMagic = await rejection(codec.decode(Buffer.from('{"userId":"u-1"}')));
    expect(badMagic).toMatchObject({ code: 'FANOUT_DECODE_FAILED', retriable: false });
    expect(badMagic.message).toContain('magic byte');

    const tooShort = await rejection(codec.decode(good.subarray(0, 3)));
    expect(tooShort).toMatchObject({ code: 'FANOUT_DECODE_FAILED', retriable: false });

    const truncatedBody = await rejection(codec.decode(good.subarray(0, good.length - 4)));
    expect(truncatedBody).toMatchObject({ code: 'FANOUT_DECODE_FAILED', retriable: false });
    expect(truncatedBody.message).toContain(`schema id ${schemaId}`);

    const unknownId = await rejection(codec.decode(frame(2_000_000_000, good.subarray(5))));
    expect(unknownId).toMatchObject({ code: 'FANOUT_UNKNOWN_SCHEMA_ID', retriable: false });
    expect(unknownId.message).toContain('2000000000');

    const garbage = await rejection(codec.decode(frame(schemaId, Buffer.from([0xff, 0xff, 0xff]))));
    expect(garbage).toMatchObject({ code: 'FANOUT_DECODE_FAILED', retriable: false });
  });

  it('refuses an unknown event type and an invalid payload before registering anything', async () => {
    const unknown = await rejection(codec.encode('fanout.user.UserDeleted', {}));
    expect(unknown).toMatchObject({ code: 'FANOUT_SCHEMA_UNKNOWN_EVENT', retriable: false });

    const topic = uniqueName('ct-never-registered');
    const invalid = await rejection(
      codec.encode(USER, { ...user(), marketingConsent: 'yes' } as never, topic),
    );
    expect(invalid).toMatchObject({ code: 'FANOUT_PAYLOAD_INVALID', retriable: false });
    expect(invalid.message).toContain('marketingConsent: expected boolean');
    expect(await registry.versions(`${topic}-${USER}`)).toEqual([]);
  });
});

describe('RegistryCodec while the registry is unreachable', () => {
  // Nothing listens on port 1: connection refused, as when the registry is down.
  const down = { url: 'http://127.0.0.1:1/apis/ccompat/v7', timeoutMs: 500 };
  const catalog = createCatalog(catalogData);

  it('fails encode and decode with RetriableError FANOUT_REGISTRY_UNAVAILABLE, never returning bytes', async () => {
    const codec = new RegistryCodec({ registry: down, catalog });
    try {
      const encodeError = await rejection(codec.encode(USER, user()));
      expect(encodeError).toMatchObject({ code: 'FANOUT_REGISTRY_UNAVAILABLE', retriable: true });
      expect(encodeError.message).toContain('ECONNREFUSED');
      const decodeError = await rejection(codec.decode(frame(1, Buffer.from([0]))));
      expect(decodeError).toMatchObject({ code: 'FANOUT_REGISTRY_UNAVAILABLE', retriable: true });
    } finally {
      await codec.close();
    }
  });

  it('waitUntilReady retries with growing delays, reports each wait, then gives up', async () => {
    const codec = new RegistryCodec({ registry: down, catalog });
    const waits: number[] = [];
    const started = Date.now();
    try {
      const error = await rejection(
        codec.waitUntilReady({ timeoutMs: 2000, onWaiting: ({ delayMs }) => waits.push(delayMs) }),
      );
      expect(error).toMatchObject({ code: 'FANOUT_REGISTRY_UNAVAILABLE', retriable: true });
      expect(error.message).toMatch(/not ready after \d+ attempts in 2000 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(waits.length).toBeGreaterThanOrEqual(2);
      expect(waits[1]!).toBeGreaterThan(waits[0]! / 2);
      expect(codec.isReady()).toBe(false);
    } finally {
      await codec.close();
    }
  });

  it('waitUntilReady resolves against a running registry and resolves the produced schemas', async () => {
    const codec = new RegistryCodec({
      registry: { url: endpoints.schemaRegistryUrl },
      catalog: createCatalog(catalogWithUniqueTopics()),
    });
    try {
      await codec.waitUntilReady({ timeoutMs: 10_000, produces: [{ eventType: USER }] });
      expect(codec.isReady()).toBe(true);
    } finally {
      await codec.close();
    }
  });
});
