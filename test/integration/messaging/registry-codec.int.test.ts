import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryCodec, frame, newMetadata, type UserRegistered } from '@fanout/contracts';
import {
  EventPublisher,
  Headers,
  createConsumerRuntime,
  type ConsumedEvent,
  type ConsumerRuntime,
} from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { createTopic, deleteTopics, readTopic, testKafka, waitFor } from './kafka-fixtures';

const prefix = uniqueName('msgavro');
const kafka = testKafka('messaging-registry-test');
const dir = mkdtempSync(join(tmpdir(), 'msgavro-'));
let runtime: ConsumerRuntime | null = null;

afterAll(async () => {
  await runtime?.stop({ deadlineMs: 2_000 });
  await deleteTopics(kafka, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('the runtime with the registry codec of @fanout/contracts', () => {
  it('publishes and consumes Avro events and dead-letters records the registry cannot read', async () => {
    const topic = `${prefix}-users`;
    await createTopic(kafka, topic, 2);
    const codec = new RegistryCodec({ registry: { url: platformEndpoints().schemaRegistryUrl } });
    const publisher = new EventPublisher({ kafka, codec });
    await publisher.connect();
    const users: UserRegistered[] = Array.from({ length: 3 }, (_, i) => ({
      metadata: newMetadata({ producer: 'messaging-tests' }),
      userId: `u-${i}`,
      email: `user${i}@example.test`,
      name: `User ${i}`,
      marketingConsent: i % 2 === 0,
      locale: 'en-GB',
    }));
    await publisher.publishBatch(
      users.map((value) => ({
        topic,
        key: value.userId,
        eventType: 'fanout.user.UserRegistered',
        value,
      })),
    );
    await publisher.disconnect();
    // Poison: a schema id the registry never issued, and a real id with a truncated body.
    const realId = (await codec.encode('fanout.user.UserRegistered', users[0], topic)).readUInt32BE(
      1,
    );
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        { key: 'u-0', value: frame(987_654_321, Buffer.from([2, 4, 6])) },
        { key: 'u-0', value: frame(realId, Buffer.from([1])) },
      ],
    });
    await raw.disconnect();

    const handled: ConsumedEvent[] = [];
    runtime = createConsumerRuntime({
      kafka,
      groupId: `${prefix}-group`,
      topics: [topic],
      codec,
      dedupe: { dataDir: dir },
      handler: async (event) => {
        handled.push(event);
      },
    });
    await runtime.start();
    expect(await waitFor(() => handled.length >= 3, 30_000)).toBe(true);
    const byUser = new Map(handled.map((e) => [(e.value as UserRegistered).userId, e]));
    for (const user of users) {
      const event = byUser.get(user.userId)!;
      expect(event.eventType).toBe('fanout.user.UserRegistered');
      expect(event.eventId).toBe(user.metadata.eventId);
      expect(event.key).toBe(user.userId);
      expect((event.value as UserRegistered).email).toBe(user.email);
      expect(event.headers[Headers.eventType]).toBe('fanout.user.UserRegistered');
      expect(event.schemaId).toBe(realId);
    }

    const dead = await readTopic(kafka, runtime.retryPolicy.deadLetterTopic, 2, 20_000);
    expect(dead).toHaveLength(2);
    for (const record of dead) {
      expect(record.headers[Headers.deadLetterReason]).toBe('poison');
      expect(record.headers[Headers.errorRetriable]).toBe('false');
      expect(record.headers[Headers.attempts]).toBe('1');
    }
    expect(handled).toHaveLength(3);
  });
});
