import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import {
  EventPublisher,
  createConsumerRuntime,
  type ConsumerRuntime,
  type ConsumerRuntimeOptions,
  type EventHandler,
} from '@fanout/messaging';
import { uniqueName } from '@fanout/test-platform';
import { JsonWireCodec } from './json-codec';
import { createTopic, deleteTopics, testEvent, testKafka, waitFor } from './kafka-fixtures';

// The runtime fetches the next batch while the previous one is still in flight (no drain
// barrier), and still commits only the contiguous prefix of finished offsets, keeps per-key
// order, bounds what waits behind a slow event, and lets a beforeCommit hook run first.

const codec = new JsonWireCodec();
const prefix = uniqueName('msgpipe');
let kafka: Kafka;
let publisher: EventPublisher;
let dataDir: string;
const runtimes: ConsumerRuntime[] = [];

beforeAll(async () => {
  kafka = testKafka('messaging-pipelining-test');
  publisher = new EventPublisher({ kafka, codec });
  await publisher.connect();
  dataDir = mkdtempSync(join(tmpdir(), 'msgpipe-'));
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ deadlineMs: 2_000 }).catch(() => undefined);
  await publisher.disconnect();
  await deleteTopics(kafka, prefix);
  rmSync(dataDir, { recursive: true, force: true });
});

async function publish(topic: string, events: Array<{ key: string; seq: number }>) {
  await publisher.publishBatch(
    events.map(({ key, seq }) => ({
      topic,
      key,
      eventType: 'fanout.test.Thing',
      value: testEvent(key, seq),
    })),
  );
}

async function start(
  name: string,
  topic: string,
  handler: EventHandler,
  extra: Partial<ConsumerRuntimeOptions> = {},
): Promise<{ runtime: ConsumerRuntime; groupId: string }> {
  const groupId = `${prefix}-${name}-group`;
  const runtime = createConsumerRuntime({
    kafka,
    groupId,
    topics: [topic],
    codec,
    handler,
    dedupe: { dataDir },
    commitIntervalMs: 100,
    ...extra,
  });
  runtimes.push(runtime);
  await runtime.start();
  return { runtime, groupId };
}

async function committedOffset(groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(entry?.partitions[0]?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

/** A gate a handler waits on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('pipelined fetching', () => {
  it('fetches and handles later records while an earlier one is still in flight, committing only up to it', async () => {
    const topic = `${prefix}-overlap`;
    await createTopic(kafka, topic, 1);
    const slow = gate();
    const handled: string[] = [];
    let commits = 0;
    const { runtime, groupId } = await start('overlap', topic, async (event) => {
      const { key, seq } = event.value as { key: string; seq: number };
      if (key === 'slow') await slow.wait;
      handled.push(`${key}:${seq}`);
    });
    runtime.events.on('commit', () => (commits += 1));
    // Offset 0 blocks; offsets 1..5 are other keys in the same first batch.
    await publish(topic, [
      { key: 'slow', seq: 0 },
      ...Array.from({ length: 5 }, (_, i) => ({ key: `a${i}`, seq: 0 })),
    ]);
    expect(await waitFor(() => handled.length >= 5, 30_000)).toBe(true);
    // Published after the first batch was dispatched: only a second fetch can bring these while
    // offset 0 is still running (the drain-then-fetch cycle would hold them back).
    await publish(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ key: `b${i}`, seq: 0 })),
    );
    expect(await waitFor(() => handled.length >= 10, 30_000)).toBe(true);
    expect(handled).not.toContain('slow:0');
    // Nothing is committable past the unfinished offset 0.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(commits).toBe(0);
    expect(await committedOffset(groupId, topic)).toBeLessThanOrEqual(0);

    slow.open();
    expect(await waitFor(() => handled.includes('slow:0'), 10_000)).toBe(true);
    let committed = -1;
    const until = Date.now() + 15_000;
    while (Date.now() < until && committed < 11) {
      committed = await committedOffset(groupId, topic);
      if (committed < 11) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(committed).toBe(11);
  });

  it('keeps a key in order when its later records arrive in later fetches while the first is in flight', async () => {
    const topic = `${prefix}-order`;
    await createTopic(kafka, topic, 1);
    const slow = gate();
    const seen: number[] = [];
    const others: string[] = [];
    await start('order', topic, async (event) => {
      const { key, seq } = event.value as { key: string; seq: number };
      if (key !== 'k') {
        others.push(key);
        return;
      }
      if (seq === 0) await slow.wait;
      seen.push(seq);
    });
    await publish(topic, [
      { key: 'k', seq: 0 },
      { key: 'x0', seq: 0 },
    ]);
    expect(await waitFor(() => others.length >= 1, 30_000)).toBe(true);
    for (let batch = 0; batch < 3; batch += 1) {
      await publish(topic, [
        { key: 'k', seq: batch * 2 + 1 },
        { key: `x${batch + 1}`, seq: 0 },
        { key: 'k', seq: batch * 2 + 2 },
      ]);
      expect(await waitFor(() => others.length >= batch + 2, 30_000)).toBe(true);
    }
    // Every other key went through; key k waits behind its first event.
    expect(seen).toEqual([]);
    slow.open();
    expect(await waitFor(() => seen.length >= 7, 15_000)).toBe(true);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('stops dispatching at maxPendingPerPartition behind an unfinished record, then catches up', async () => {
    const topic = `${prefix}-bound`;
    await createTopic(kafka, topic, 1);
    const slow = gate();
    let handled = 0;
    let slowDone = false;
    await start(
      'bound',
      topic,
      async (event) => {
        const { key } = event.value as { key: string };
        if (key === 'slow') {
          await slow.wait;
          slowDone = true;
        }
        handled += 1;
      },
      { concurrency: { perPartition: 4, maxPendingPerPartition: 20 } },
    );
    await publish(topic, [
      { key: 'slow', seq: 0 },
      ...Array.from({ length: 99 }, (_, i) => ({ key: `k${i}`, seq: 0 })),
    ]);
    expect(await waitFor(() => handled >= 19, 30_000)).toBe(true);
    // Give the dispatcher time to overrun the bound if it would.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(slowDone).toBe(false);
    expect(handled).toBe(19);
    slow.open();
    expect(await waitFor(() => handled >= 100, 30_000)).toBe(true);
  });
});

describe('beforeCommit', () => {
  it('runs before every commit, after the events of the committed offsets finished, and a failure holds the commit back', async () => {
    const topic = `${prefix}-hook`;
    await createTopic(kafka, topic, 1);
    /** When each offset's handler finished. */
    const finishedAt = new Map<number, number>();
    const hookCalls: Array<{ at: number; ok: boolean }> = [];
    const violations: string[] = [];
    let failing = true;
    const { runtime, groupId } = await start(
      'hook',
      topic,
      async (event) => {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 5)));
        finishedAt.set(Number(event.offset), performance.now());
      },
      {
        beforeCommit: async () => {
          const at = performance.now();
          await new Promise((resolve) => setTimeout(resolve, 20));
          hookCalls.push({ at, ok: !failing });
          if (failing) throw new Error('ledger unavailable');
        },
      },
    );
    runtime.events.on('commit', ({ offset }) => {
      // The last successful hook call started after every event below the committed offset
      // had finished: what they recorded was covered by that flush.
      const last = hookCalls.findLast((call) => call.ok);
      if (!last) {
        violations.push(`commit ${offset} without a successful beforeCommit`);
        return;
      }
      for (let o = 0; o < Number(offset); o += 1) {
        const done = finishedAt.get(o);
        if (done === undefined || done > last.at) violations.push(`offset ${o} after its flush`);
      }
    });
    await publish(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ key: `h${i % 7}`, seq: i })),
    );
    expect(await waitFor(() => finishedAt.size >= 50, 30_000)).toBe(true);
    expect(await waitFor(() => hookCalls.length >= 3, 10_000)).toBe(true);
    expect(await committedOffset(groupId, topic)).toBeLessThanOrEqual(0);

    failing = false;
    let committed = -1;
    const until = Date.now() + 15_000;
    while (Date.now() < until && committed < 50) {
      committed = await committedOffset(groupId, topic);
      if (committed < 50) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(committed).toBe(50);
    // More events while commits run: each commit still follows its flush.
    await publish(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ key: `h${i % 7}`, seq: 50 + i })),
    );
    expect(await waitFor(() => finishedAt.size >= 100, 30_000)).toBe(true);
    expect(await waitFor(() => hookCalls.filter((c) => c.ok).length >= 2, 10_000)).toBe(true);
    expect(violations).toEqual([]);
  });
});
