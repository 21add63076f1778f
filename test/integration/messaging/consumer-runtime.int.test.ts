import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { publishReplay } from '@fanout/dead-letters';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import {
  EventPublisher,
  Headers,
  createConsumerRuntime,
  type ConsumedEvent,
  type ConsumerRuntime,
  type EventHandler,
} from '@fanout/messaging';
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
const prefix = uniqueName('msgrt');
let kafka: Kafka;
let publisher: EventPublisher;
let dataDir: string;
const runtimes: ConsumerRuntime[] = [];

beforeAll(async () => {
  kafka = testKafka('messaging-runtime-test');
  publisher = new EventPublisher({ kafka, codec });
  await publisher.connect();
  dataDir = mkdtempSync(join(tmpdir(), 'msgrt-'));
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ deadlineMs: 2_000 }).catch(() => undefined);
  await publisher.disconnect();
  await deleteTopics(kafka, prefix);
  rmSync(dataDir, { recursive: true, force: true });
});

async function startRuntime(
  name: string,
  topic: string,
  handler: EventHandler,
  extra: Partial<Parameters<typeof createConsumerRuntime>[0]> = {},
): Promise<ConsumerRuntime> {
  const runtime = createConsumerRuntime({
    kafka,
    groupId: `${prefix}-${name}-group`,
    topics: [topic],
    codec,
    handler,
    retry: { immediateAttempts: 3, immediateBackoffMs: 20, tiers: [300, 600] },
    dedupe: { dataDir },
    commitIntervalMs: 200,
    ...extra,
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

async function publishAll(
  topic: string,
  events: Array<{ key: string; value: ReturnType<typeof testEvent> }>,
) {
  await publisher.publishBatch(
    events.map(({ key, value }) => ({ topic, key, eventType: 'fanout.test.Thing', value })),
  );
}

describe('consumer runtime on the real broker', () => {
  it('keeps per-key order while running distinct keys of one partition concurrently', async () => {
    const topic = `${prefix}-order`;
    await createTopic(kafka, topic, 1);
    const keys = 20;
    const perKey = 25;
    const events = [];
    for (let seq = 0; seq < perKey; seq += 1) {
      for (let k = 0; k < keys; k += 1)
        events.push({ key: `k${k}`, value: testEvent(`k${k}`, seq) });
    }
    await publishAll(topic, events);
    const seen = new Map<string, number[]>();
    let running = 0;
    let peak = 0;
    await startRuntime(
      'order',
      topic,
      async (event) => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(Math.floor(Math.random() * 8));
        const { key, seq } = event.value as { key: string; seq: number };
        seen.set(key, [...(seen.get(key) ?? []), seq]);
        running -= 1;
      },
      { concurrency: { perPartition: 16 } },
    );
    const all = () => [...seen.values()].reduce((n, list) => n + list.length, 0);
    expect(await waitFor(() => all() >= keys * perKey, 30_000)).toBe(true);
    for (const list of seen.values())
      expect(list).toEqual(Array.from({ length: perKey }, (_, i) => i));
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(16);
  });

  it('sends a poison message straight to the dead-letter topic and keeps the partition flowing', async () => {
    const topic = `${prefix}-poison`;
    await createTopic(kafka, topic, 1);
    const before = Array.from({ length: 5 }, (_, i) => ({ key: 'p', value: testEvent('p', i) }));
    const after = Array.from({ length: 5 }, (_, i) => ({ key: 'p', value: testEvent('p', i + 5) }));
    await publishAll(topic, before);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        {
          key: 'p',
          value: Buffer.from('definitely not avro'),
          headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        },
      ],
    });
    await raw.disconnect();
    await publishAll(topic, after);

    const handled: number[] = [];
    let calls = 0;
    const runtime = await startRuntime('poison', topic, async (event) => {
      calls += 1;
      handled.push((event.value as { seq: number }).seq);
    });
    expect(await waitFor(() => handled.length >= 10, 30_000)).toBe(true);
    expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(calls).toBe(10);

    const [dead] = await readTopic(kafka, runtime.retryPolicy.deadLetterTopic, 1, 15_000);
    expect(dead).toBeDefined();
    expect(dead!.value?.toString()).toBe('definitely not avro');
    expect(dead!.headers).toMatchObject({
      [Headers.originalTopic]: topic,
      [Headers.originalPartition]: '0',
      [Headers.originalOffset]: '5',
      [Headers.errorCode]: 'FANOUT_DECODE_FAILED',
      [Headers.errorRetriable]: 'false',
      [Headers.attempts]: '1',
      [Headers.deadLetterReason]: 'poison',
      [Headers.originalTraceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(Number(dead!.headers[Headers.firstFailureAt])).toBeGreaterThan(0);
    expect(dead!.headers[Headers.traceparent]).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
  });

  it('a poison record redelivered to the same consumer (group rewound) is not dead-lettered again', async () => {
    const topic = `${prefix}-poison-again`;
    await createTopic(kafka, topic, 1);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'p', value: Buffer.from('not avro either') }] });
    await raw.disconnect();
    await publishAll(topic, [{ key: 'p', value: testEvent('p', 0) }]);
    const handled: number[] = [];
    const handler: EventHandler = async (event) => {
      handled.push((event.value as { seq: number }).seq);
    };
    const first = await startRuntime('poison-again', topic, handler);
    expect(await waitFor(() => handled.length === 1, 30_000)).toBe(true);
    const dlq = first.retryPolicy.deadLetterTopic;
    expect(await readTopic(kafka, dlq, 1, 15_000)).toHaveLength(1);
    await first.stop();
    // Redelivery, as after a restart before the commit: the group starts again at offset 0.
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: `${prefix}-poison-again-group`,
      topic,
      partitions: [{ partition: 0, offset: '0' }],
    });
    await admin.disconnect();
    const duplicates: string[] = [];
    const second = await startRuntime('poison-again', topic, handler);
    second.events.on('duplicate', ({ eventId }) => duplicates.push(eventId));
    expect(await waitFor(() => duplicates.length === 2, 30_000)).toBe(true);
    // Both records were known: the event by its id, the poison by its position.
    expect(duplicates).toContain(`${topic}/0/0`);
    expect(handled).toEqual([0]);
    expect(await readTopic(kafka, dlq, 2, 5_000)).toHaveLength(1);
  });

  it("a replay of the group's own dead letter runs again, while a group that handled the event keeps it a duplicate", async () => {
    const topic = `${prefix}-replay`;
    await createTopic(kafka, topic, 1);
    let failing = true;
    let failingRuns = 0;
    let healthyRuns = 0;
    const failingGroup = await startRuntime('replay-failing', topic, async () => {
      failingRuns += 1;
      if (failing)
        throw new NonRetriableError('FANOUT_API_BAD_RESPONSE', 'the API answered nonsense');
    });
    const healthyGroup = await startRuntime('replay-healthy', topic, async () => {
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

  it('dead-letters a non-retriable handler error after one attempt, with its code', async () => {
    const topic = `${prefix}-nonretriable`;
    await createTopic(kafka, topic, 1);
    const bad = testEvent('n', 0);
    await publishAll(topic, [
      { key: 'n', value: bad },
      { key: 'n', value: testEvent('n', 1) },
    ]);
    let attemptsOnBad = 0;
    const handled: number[] = [];
    const runtime = await startRuntime('nonretriable', topic, async (event) => {
      if (event.eventId === bad.metadata.eventId) {
        attemptsOnBad += 1;
        throw new NonRetriableError('FANOUT_API_CLIENT_ERROR', 'crm said 422: email invalid');
      }
      handled.push((event.value as { seq: number }).seq);
    });
    expect(await waitFor(() => handled.length >= 1, 20_000)).toBe(true);
    const [dead] = await readTopic(kafka, runtime.retryPolicy.deadLetterTopic, 1, 15_000);
    expect(attemptsOnBad).toBe(1);
    expect(dead!.headers).toMatchObject({
      [Headers.messageId]: bad.metadata.eventId,
      [Headers.errorCode]: 'FANOUT_API_CLIENT_ERROR',
      [Headers.errorMessage]: 'crm said 422: email invalid',
      [Headers.attempts]: '1',
      [Headers.deadLetterReason]: 'non-retriable',
    });
  });

  it('delivers through the retry tiers once the handler recovers, without holding the partition', async () => {
    const topic = `${prefix}-tiers`;
    await createTopic(kafka, topic, 1);
    const flaky = testEvent('f', 0);
    const others = Array.from({ length: 5 }, (_, i) => ({
      key: `o${i}`,
      value: testEvent(`o${i}`, i),
    }));
    await publishAll(topic, [{ key: 'f', value: flaky }, ...others]);
    const failuresBeforeRecovery = 4; // 3 immediate attempts, then tier 1 fails once more
    let flakyAttempts = 0;
    let recovered: ConsumedEvent | null = null;
    const otherDoneAt: number[] = [];
    await startRuntime('tiers', topic, async (event) => {
      if (event.eventId !== flaky.metadata.eventId) {
        otherDoneAt.push(Date.now());
        return;
      }
      flakyAttempts += 1;
      if (flakyAttempts <= failuresBeforeRecovery) {
        throw new RetriableError('FANOUT_API_SERVER_ERROR', 'crm answered 503');
      }
      recovered = event;
    });
    expect(await waitFor(() => recovered !== null, 30_000)).toBe(true);
    const event = recovered as unknown as ConsumedEvent;
    expect(event.retryTier).toBe(2);
    expect(event.attempt).toBe(5);
    expect(event.originalTopic).toBe(topic);
    expect(event.headers[Headers.firstFailureAt]).toBeDefined();
    expect(flakyAttempts).toBe(5);
    // The other keys did not wait for the flaky one's tiers.
    expect(otherDoneAt).toHaveLength(5);
  });

  it('dead-letters an event whose retries are exhausted, with its whole failure history', async () => {
    const topic = `${prefix}-exhausted`;
    await createTopic(kafka, topic, 1);
    const doomed = testEvent('d', 0);
    await publishAll(topic, [{ key: 'd', value: doomed }]);
    let attempts = 0;
    const runtime = await startRuntime('exhausted', topic, async () => {
      attempts += 1;
      throw new Error('socket hang up');
    });
    const [dead] = await readTopic(kafka, runtime.retryPolicy.deadLetterTopic, 1, 30_000);
    expect(dead).toBeDefined();
    expect(attempts).toBe(5);
    expect(dead!.headers).toMatchObject({
      [Headers.messageId]: doomed.metadata.eventId,
      [Headers.originalTopic]: topic,
      [Headers.originalOffset]: '0',
      [Headers.errorCode]: 'FANOUT_HANDLER_FAILED',
      [Headers.errorRetriable]: 'true',
      [Headers.attempts]: '5',
      [Headers.deadLetterReason]: 'retries-exhausted',
    });
    const first = Number(dead!.headers[Headers.firstFailureAt]);
    const last = Number(dead!.headers[Headers.lastFailureAt]);
    // Tier delays 300 ms + 600 ms lie between the first and the last failure.
    expect(last - first).toBeGreaterThanOrEqual(900);
  });

  it('counts a handler that overruns its timeout as a retriable failure and retries it', async () => {
    const topic = `${prefix}-timeout`;
    await createTopic(kafka, topic, 1);
    const slow = testEvent('s', 0);
    await publishAll(topic, [{ key: 's', value: slow }]);
    const attempts: Array<{ attempt: number; aborted: boolean }> = [];
    let done = false;
    await startRuntime(
      'timeout',
      topic,
      async (event, { signal }) => {
        const record = { attempt: event.attempt, aborted: false };
        attempts.push(record);
        if (event.attempt === 1) {
          await sleep(1_500);
          record.aborted = signal.aborted;
          return;
        }
        done = true;
      },
      { handlerTimeoutMs: 200 },
    );
    expect(await waitFor(() => done, 20_000)).toBe(true);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(await waitFor(() => attempts[0]!.aborted, 3_000)).toBe(true);
  });

  it('keeps its group membership through a handler longer than the session timeout', async () => {
    const topic = `${prefix}-long`;
    await createTopic(kafka, topic, 1);
    await publishAll(topic, [{ key: 'l', value: testEvent('l', 0) }]);
    let joins = 0;
    let calls = 0;
    let finished = false;
    const runtime = createConsumerRuntime({
      kafka,
      groupId: `${prefix}-long-group`,
      topics: [topic],
      codec,
      consumer: { sessionTimeout: 6_000, heartbeatInterval: 1_000 },
      handler: async () => {
        calls += 1;
        await sleep(9_000);
        finished = true;
      },
    });
    runtimes.push(runtime);
    runtime.events.on('rebalance', () => (joins += 1));
    await runtime.start();
    expect(await waitFor(() => finished, 30_000)).toBe(true);
    await sleep(1_000);
    // One join at start; no session expiry, no second join, no redelivery.
    expect(joins).toBe(1);
    expect(calls).toBe(1);
  });

  it('pauses every partition without leaving the group and resumes where it stopped', async () => {
    const topic = `${prefix}-pause`;
    await createTopic(kafka, topic, 2);
    const handled: number[] = [];
    const runtime = await startRuntime('pause', topic, async (event) => {
      handled.push((event.value as { seq: number }).seq);
    });
    await publishAll(topic, [{ key: 'a', value: testEvent('a', 0) }]);
    expect(await waitFor(() => handled.length === 1, 20_000)).toBe(true);
    let rebalances = 0;
    runtime.events.on('rebalance', () => (rebalances += 1));
    runtime.pause();
    await publishAll(topic, [
      { key: 'a', value: testEvent('a', 1) },
      { key: 'b', value: testEvent('b', 2) },
    ]);
    await sleep(2_000);
    expect(handled).toHaveLength(1);
    runtime.resume();
    expect(await waitFor(() => handled.length === 3, 20_000)).toBe(true);
    expect(rebalances).toBe(0);
  });

  it('a consumer that kafkajs stops feeding is run again by the stall watchdog', async () => {
    const topic = `${prefix}-stall`;
    await createTopic(kafka, topic, 2);
    const handled: number[] = [];
    const runtime = await startRuntime(
      'stall',
      topic,
      async (event) => {
        handled.push((event.value as { seq: number }).seq);
      },
      { stallMs: 1_500 },
    );
    await publishAll(topic, [{ key: 'a', value: testEvent('a', 0) }]);
    expect(await waitFor(() => handled.length === 1, 20_000)).toBe(true);
    // kafkajs stops fetching with no error and no pause of ours (as after a coordinator move
    // that left its rejoin silent): its own partitions paused underneath the runtime.
    const inner = (runtime as unknown as { consumer: Consumer }).consumer;
    inner.pause([{ topic }]);
    // Records keep arriving (one every 500 ms, at most 40) while nothing is fetched.
    let seq = 1;
    while (handled.length < 3 && seq <= 40) {
      await publishAll(topic, [{ key: `k${seq}`, value: testEvent(`k${seq}`, seq) }]);
      seq += 1;
      await sleep(500);
    }
    expect(await waitFor(() => handled.length === seq, 20_000)).toBe(true);
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: seq }, (_, i) => i));
    expect((runtime as unknown as { stallRestarts: number }).stallRestarts).toBe(1);
  });

  it('goes on consuming when a reported rebalance ends in a failed rejoin and the group keeps its generation', async () => {
    // After a coordinator move kafkajs saw NOT_COORDINATOR on a heartbeat (a rebalance, so
    // dispatch stopped), its rejoin was answered "the coordinator is loading", and it fetched
    // on in its old generation, which the new coordinator had loaded as stable: no join ever
    // followed. Both answers are injected here into kafkajs's ConsumerGroup of this group
    // only; the heartbeats after them reach the real broker.
    const topic = `${prefix}-failed-rejoin`;
    await createTopic(kafka, topic, 1);
    const groupId = `${prefix}-failed-rejoin-group`;
    const handled: number[] = [];
    let rebalances = 0;
    const runtime = await startRuntime('failed-rejoin', topic, async (event) => {
      handled.push((event.value as { seq: number }).seq);
    });
    runtime.events.on('rebalance', () => (rebalances += 1));
    await publishAll(topic, [{ key: 'a', value: testEvent('a', 0) }]);
    expect(await waitFor(() => handled.length === 1, 20_000)).toBe(true);

    const load = createRequire(import.meta.url);
    const errorFromCode = (
      load('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error }
    ).createErrorFromCode;
    const group = (load('kafkajs/src/consumer/consumerGroup') as { prototype: InjectableGroup })
      .prototype;
    const injected = { heartbeat: 0, join: 0 };
    const heartbeat = group.heartbeat;
    const joinAndSync = group.joinAndSync;
    group.heartbeat = function (this: InjectableGroup, ...args: unknown[]) {
      if (this.groupId === groupId && injected.heartbeat === 0) {
        injected.heartbeat += 1;
        return Promise.reject(errorFromCode(16)); // NOT_COORDINATOR
      }
      return heartbeat.apply(this, args);
    };
    group.joinAndSync = function (this: InjectableGroup, ...args: unknown[]) {
      if (this.groupId === groupId && injected.join === 0) {
        injected.join += 1;
        return Promise.reject(errorFromCode(14)); // COORDINATOR_LOAD_IN_PROGRESS
      }
      return joinAndSync.apply(this, args);
    };
    try {
      await publishAll(topic, [{ key: 'b', value: testEvent('b', 1) }]);
      expect(await waitFor(() => injected.heartbeat === 1, 20_000)).toBe(true);
      for (let seq = 2; seq <= 4; seq += 1)
        await publishAll(topic, [{ key: `k${seq}`, value: testEvent(`k${seq}`, seq) }]);
      expect(await waitFor(() => handled.length === 5, 30_000)).toBe(true);
    } finally {
      group.heartbeat = heartbeat;
      group.joinAndSync = joinAndSync;
    }
    expect(handled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    // Handled in the generation it had: no join happened, and the watchdog did not step in.
    expect(rebalances).toBe(0);
    expect((runtime as unknown as { stallRestarts: number }).stallRestarts).toBe(0);
  });
});

interface InjectableGroup {
  groupId: string;
  heartbeat(...args: unknown[]): Promise<void>;
  joinAndSync(...args: unknown[]): Promise<void>;
}
