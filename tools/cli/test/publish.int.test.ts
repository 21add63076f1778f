import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { RegistryCodec, defaultCatalog, ensureTopicSpecs } from '@fanout/contracts';
import { Headers, readHeaders } from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { closedPort, runCli } from './run-cli';

/** `fanout publish` against the real broker and registry: what lands on the topic is the event. */
describe('fanout publish', () => {
  const endpoints = platformEndpoints();
  const kafka = new Kafka({
    clientId: 'cli-publish-test',
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const codec = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl } });
  const catalog = defaultCatalog();
  const spec = catalog.event('fanout.user.UserRegistered');
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    // The services create their topics at start; this suite may run before any did.
    await ensureTopicSpecs(
      admin,
      catalog.topics.filter((t) => t.name === spec.topic),
      { replicationFactor: 1 },
    );
  });

  afterAll(async () => {
    await admin?.disconnect();
    await codec.close();
  });

  /** The one record at topic/partition/offset, read by a throwaway consumer. */
  async function readAt(topic: string, partition: number, offset: string) {
    const consumer = kafka.consumer({
      groupId: uniqueName('cli-publish-reader'),
      maxWaitTimeInMs: 300,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    try {
      return await new Promise<{ key: string; value: Buffer; headers: Record<string, string> }>(
        (resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('record not read within 60 s')), 60_000);
          void consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition: p, message }) => {
                if (p !== partition || message.offset !== offset) return;
                clearTimeout(timer);
                resolve({
                  key: message.key!.toString(),
                  value: message.value!,
                  headers: readHeaders(message.headers),
                });
              },
            })
            .then(() => consumer.seek({ topic, partition, offset }))
            .catch(reject);
        },
      );
    } finally {
      await consumer.disconnect();
    }
  }

  it("publishes a valid event to the catalog's topic, keyed by its aggregate id, with metadata filled in", async () => {
    const userId = uniqueName('cli-user');
    const run = await runCli([
      '--json',
      'publish',
      'fanout.user.UserRegistered',
      JSON.stringify({
        userId,
        email: `${userId}@example.com`,
        name: 'Ada',
        marketingConsent: true,
        locale: 'en-GB',
      }),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as {
      topic: string;
      key: string;
      eventId: string;
      partition: number;
      offset: string;
      traceId: string | null;
    };
    expect(outcome).toMatchObject({ topic: 'fanout.user.events', key: userId });
    expect(outcome.traceId).toMatch(/^[0-9a-f]{32}$/);

    const record = await readAt(outcome.topic, outcome.partition, outcome.offset);
    expect(record.key).toBe(userId);
    expect(record.headers).toMatchObject({
      [Headers.messageId]: outcome.eventId,
      [Headers.eventType]: 'fanout.user.UserRegistered',
      [Headers.producer]: 'fanout-cli',
    });
    expect(record.headers.traceparent).toContain(outcome.traceId!);
    const decoded = await codec.decode(record.value);
    expect(decoded.eventType).toBe('fanout.user.UserRegistered');
    expect(decoded.value).toMatchObject({
      userId,
      metadata: {
        eventId: outcome.eventId,
        correlationId: outcome.eventId,
        producer: 'fanout-cli',
      },
    });
  });

  it('refuses an event that does not match its schema before contacting the registry or Kafka', async () => {
    // Both point at a closed port: the field error (not "not reachable") proves nothing was sent.
    const port = await closedPort();
    const run = await runCli([
      '--brokers',
      `127.0.0.1:${port}`,
      '--registry',
      `http://127.0.0.1:${port}`,
      'publish',
      'fanout.user.UserRegistered',
      JSON.stringify({
        userId: 'u-x',
        email: 'x@example.com',
        name: 'X',
        marketingConsent: 'yes',
        locale: 'en-GB',
      }),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/marketingConsent: expected boolean, got/);
    expect(run.stderr).not.toMatch(/not reachable/);
  });
});
