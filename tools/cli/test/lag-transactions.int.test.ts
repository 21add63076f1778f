import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { createTopicsReliably } from '@fanout/contracts';
import { createConsumerRuntime, lagAfterBatch } from '@fanout/messaging';
import type { ConsumerRuntime, DecodedEvent, EventCodec } from '@fanout/messaging';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import type { PartitionLag } from '../src/commands/lag';
import { runCli } from './run-cli';

/** JSON in the Confluent framing (magic 0, schema id 1): the runtime needs no registry here. */
const codec: EventCodec = {
  async encode(eventType: string, value: unknown): Promise<Buffer> {
    const header = Buffer.from([0, 0, 0, 0, 1]);
    return Buffer.concat([header, Buffer.from(JSON.stringify({ eventType, value }))]);
  },
  async decode(bytes: Buffer): Promise<DecodedEvent> {
    return { ...JSON.parse(bytes.subarray(5).toString('utf8')), schemaId: 1 } as DecodedEvent;
  },
};

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A transactional producer writes a one-partition topic; a consumer runtime handles everything
 * and commits. Each transaction ends with a commit marker, an offset no consumer is given, so
 * the group commits one below the end: the old `end - committed` said 1 forever, `fanout lag`
 * and the lag gauge say 0. Then an aborted transaction interleaved with a committed one: the
 * gauge (fed by batches) must drop to 0 once a fetch brings only the markers and the aborted
 * record.
 */
describe('lag on a transactional topic', () => {
  const endpoints = platformEndpoints();
  const topic = uniqueName('cli-lag-tx');
  const group = uniqueName('cli-lag-group');
  const kafka = new Kafka({
    clientId: 'cli-lag-test',
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin;
  let runtime: ConsumerRuntime;
  const producers: Producer[] = [];
  const handled: number[] = [];
  const batches: Array<{ size: number; lastOffset: number; highWatermark: number }> = [];

  const transactional = async (): Promise<Producer> => {
    const producer = kafka.producer({
      transactionalId: `cli-lag-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    producers.push(producer);
    return producer;
  };
  const record = async (seq: number) => ({
    key: 'k',
    value: await codec.encode(
      'fanout.test.Thing',
      { seq, metadata: { eventId: randomUUID() } },
      topic,
    ),
  });
  const committed = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(offsets?.partitions[0]?.offset ?? -1);
  };
  const end = async (): Promise<number> => Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  const cliLag = async (): Promise<PartitionLag> => {
    const run = await runCli(['--json', 'lag', group], 60_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = (JSON.parse(run.stdout) as PartitionLag[]).filter((r) => r.topic === topic);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };
  const gauge = () => lagAfterBatch(batches.at(-1)!);

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopicsReliably(admin, [{ topic, numPartitions: 1 }]);
    runtime = createConsumerRuntime({
      kafka,
      groupId: group,
      topics: [topic],
      codec,
      handler: async (event) => {
        handled.push((event.value as { seq: number }).seq);
      },
      retry: { immediateAttempts: 1, tiers: [] },
      dedupe: false,
      commitIntervalMs: 100,
      consumer: { maxWaitTimeInMs: 200 },
    });
    runtime.events.on('batch', (b) =>
      batches.push({
        size: b.size,
        lastOffset: Number(b.lastOffset),
        highWatermark: Number(b.highWatermark),
      }),
    );
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop({ deadlineMs: 2_000 }).catch(() => undefined);
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await admin?.deleteGroups([group]).catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic, `${group}.dlq`] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('reports 0 once every committed transaction is handled (the old rule said 1)', async () => {
    const producer = await transactional();
    // 0 1 [m2] 3 4 [m5] 6 7 [m8]
    for (let t = 0; t < 3; t += 1) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [await record(2 * t), await record(2 * t + 1)] });
      await tx.commit();
    }
    await until(
      'six records handled and committed',
      async () => handled.length === 6 && (await committed()) === 8,
    );
    expect(await end()).toBe(9);
    // What `fanout lag` computed before: end - committed.
    expect((await end()) - (await committed())).toBe(1);

    const row = await cliLag();
    // Read from the committed offset on: only the marker, no real record.
    expect(row).toMatchObject({ committed: 8, end: 9, lastRecord: null, lag: 0 });
    expect(gauge()).toBe(0);
  });

  it('drops the gauge to 0 after an aborted transaction, and the CLI agrees', async () => {
    const [p1, p2] = [await transactional(), await transactional()];
    const before = batches.length;
    const tx1 = await p1.transaction();
    await tx1.send({ topic, messages: [await record(100)] }); // offset 9
    const tx2 = await p2.transaction();
    await tx2.send({ topic, messages: [await record(200)] }); // offset 10, aborted below
    await tx1.commit(); // marker 11; tx2 still open, so a read-committed fetch stops before 10
    await until('offset 9 handled', () => handled.includes(100));
    const seenOpen = batches.slice(before).find((b) => b.size > 0 && b.lastOffset === 9);
    // The batch with record 9 was fetched while tx2 was open: 10 and 11 were still ahead.
    expect(seenOpen && lagAfterBatch(seenOpen)).toBe(2);

    await tx2.abort(); // abort marker 12
    await until('a fetch with only markers and the aborted record', () =>
      batches.slice(before).some((b) => b.size === 0 && b.lastOffset === 12),
    );
    expect(gauge()).toBe(0);
    await until('offset 9 committed', async () => (await committed()) === 10);
    expect(await end()).toBe(13);
    expect(handled).not.toContain(200);
    // end - committed would say 3 (the aborted record, two markers).
    expect(await cliLag()).toMatchObject({ committed: 10, end: 13, lastRecord: null, lag: 0 });
  });

  it('still counts real records that are not handled yet, markers between them included', async () => {
    runtime.pause();
    const producer = producers[0]!;
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [await record(300), await record(301)] }); // 13 14 [m15]
    await tx.commit();
    // Unread from 10: the aborted record, two markers, 13 and 14; the marker 15 is not lag.
    expect(await cliLag()).toMatchObject({ committed: 10, end: 16, lastRecord: 14, lag: 5 });
    runtime.resume();
    await until('13 and 14 handled and committed', async () => (await committed()) === 15);
    expect(await cliLag()).toMatchObject({ committed: 15, end: 16, lastRecord: null, lag: 0 });
    expect(gauge()).toBe(0);
  });
});
