import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { EventPublisher, createConsumerRuntime, type ConsumerRuntime } from '@fanout/messaging';
import { uniqueName } from '@fanout/test-platform';
import { EffectLedger } from './effect-ledger';
import { JsonWireCodec } from './json-codec';
import { createTopic, deleteTopics, testEvent, testKafka, waitFor } from './kafka-fixtures';

const prefix = uniqueName('msgrebal');
const kafka = testKafka('messaging-rebalance-test');
const codec = new JsonWireCodec();
const dir = mkdtempSync(join(tmpdir(), 'msgrebal-'));
const runtimes: ConsumerRuntime[] = [];

afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ deadlineMs: 2_000 }).catch(() => undefined);
  await deleteTopics(kafka, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('consumer group rebalances mid-stream', () => {
  it('loses nothing and repeats no effect when instances join and leave', async () => {
    const topic = `${prefix}-events`;
    const groupId = `${prefix}-group`;
    await createTopic(kafka, topic, 4);
    const keys = 40;
    const perKey = 40;
    const total = keys * perKey;
    const publisher = new EventPublisher({ kafka, codec });
    await publisher.connect();
    for (let seq = 0; seq < perKey; seq += 1) {
      await publisher.publishBatch(
        Array.from({ length: keys }, (_, k) => ({
          topic,
          key: `k${k}`,
          eventType: 'fanout.test.Thing',
          value: testEvent(`k${k}`, seq),
        })),
      );
    }
    await publisher.disconnect();

    const ledger = new EffectLedger(join(dir, 'ledger.sqlite'));
    const instance = (name: string) => {
      const runtime = createConsumerRuntime({
        kafka,
        groupId,
        topics: [topic],
        codec,
        concurrency: { perPartition: 8 },
        // Separate stores, as on separate machines: the Idempotency-Key is what protects.
        dedupe: { dataDir: join(dir, name) },
        commitIntervalMs: 100,
        consumer: { sessionTimeout: 10_000, heartbeatInterval: 500 },
        handler: async (event) => {
          await sleep(3);
          const { key, seq } = event.value as { key: string; seq: number };
          ledger.call(key, event.eventId, seq);
        },
      });
      runtimes.push(runtime);
      return runtime;
    };
    const effects = () => ledger.summary().effects;

    const first = instance('a');
    let rebalances = 0;
    first.events.on('rebalance', () => (rebalances += 1));
    await first.start();
    expect(await waitFor(() => effects() >= total * 0.2, 60_000)).toBe(true);
    const second = instance('b');
    await second.start();
    expect(await waitFor(() => effects() >= total * 0.6, 60_000)).toBe(true);
    await first.stop({ deadlineMs: 5_000 });
    expect(await waitFor(() => effects() >= total, 60_000)).toBe(true);

    const summary = ledger.summary();
    ledger.close();
    expect(rebalances).toBeGreaterThanOrEqual(2);
    expect(summary.effects).toBe(total);
    expect(summary.violations).toBe(0);
  });
});
