import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { publishReplay } from '@fanout/dead-letters';
import { NonRetriableError } from '@fanout/errors';
import { EventPublisher, createConsumerRuntime } from '@fanout/messaging';
import type { ConsumerRuntime, EventHandler } from '@fanout/messaging';
import { uniqueName } from '@fanout/test-platform';
import { JsonWireCodec } from './json-codec';
import {
  createTopic,
  deleteTopics,
  readTopic,
  testEvent,
  testKafka,
  waitFor,
} from './kafka-fixtures';

const codec = new JsonWireCodec();
const prefix = uniqueName('dlqreplay');
let kafka: Kafka;
let publisher: EventPublisher;
let dataDir: string;
const runtimes: ConsumerRuntime[] = [];

beforeAll(async () => {
  kafka = testKafka('dead-letter-replay-test');
  publisher = new EventPublisher({ kafka, codec });
  await publisher.connect();
  dataDir = mkdtempSync(join(tmpdir(), 'dlqreplay-'));
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ deadlineMs: 2_000 }).catch(() => undefined);
  await publisher.disconnect();
  await deleteTopics(kafka, prefix);
  rmSync(dataDir, { recursive: true, force: true });
});

async function startRuntime(group: string, topic: string, handler: EventHandler) {
  const runtime = createConsumerRuntime({
    kafka,
    groupId: `${prefix}-${group}`,
    topics: [topic],
    codec,
    handler,
    retry: { immediateAttempts: 1, immediateBackoffMs: 10, tiers: [200] },
    dedupe: { dataDir },
    commitIntervalMs: 200,
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

describe('replaying a dead letter', () => {
  it("a replay of the group's own dead letter runs again, while a group that handled the event keeps it a duplicate", async () => {
    const topic = `${prefix}-events`;
    await createTopic(kafka, topic, 1);
    let failing = true;
    let failingRuns = 0;
    let healthyRuns = 0;
    const failingGroup = await startRuntime('failing', topic, async () => {
      failingRuns += 1;
      if (failing)
        throw new NonRetriableError('FANOUT_API_BAD_RESPONSE', 'the API answered nonsense');
    });
    const healthyGroup = await startRuntime('healthy', topic, async () => {
      healthyRuns += 1;
    });
    const healthyDuplicates: string[] = [];
    healthyGroup.events.on('duplicate', ({ eventId }) => healthyDuplicates.push(eventId));

    const event = testEvent('k', 1);
    await publisher.publishBatch([
      { topic, key: 'k', eventType: 'fanout.test.Thing', value: event },
    ]);
    const dlq = failingGroup.retryPolicy.deadLetterTopic;
    const [dead] = await readTopic(kafka, dlq, 1, 30_000);
    expect(dead, 'the dead letter').toBeDefined();
    expect(await waitFor(() => healthyRuns === 1, 15_000)).toBe(true);

    failing = false;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const outcome = await publishReplay(producer, {
        ...dead!,
        topic: dlq,
        timestamp: Date.now(),
      });
      expect(outcome.topic).toBe(topic);
    } finally {
      await producer.disconnect();
    }

    expect(await waitFor(() => failingRuns === 2, 30_000)).toBe(true);
    expect(await waitFor(() => healthyDuplicates.includes(event.metadata.eventId), 15_000)).toBe(
      true,
    );
    expect(healthyRuns).toBe(1);
    // Handled this time: nothing more on the dead-letter topic.
    expect(await readTopic(kafka, dlq, 2, 3_000)).toHaveLength(1);
  });
});
