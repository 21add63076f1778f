import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
import { RegistryCodec, createTopicsReliably, newMetadata } from '@fanout/contracts';
import type { UserContact } from '@fanout/contracts';
import { GlobalTable } from '@fanout/service-kit';
import { createLogger } from '@fanout/telemetry';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

/**
 * The global table against the real broker and registry: read whole at start, kept up to date,
 * resumed from its local file after a restart (records read at restart are measured), tombstones
 * delete. The table topic is compacted, as fanout.user.contacts is.
 */
describe('global table of a compacted topic', () => {
  const kafka = new Kafka({
    clientId: 'global-table-test',
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const codec = new RegistryCodec({ registry: { url: platformEndpoints().schemaRegistryUrl } });
  const topic = uniqueName('gt-contacts');
  const logger = createLogger({ name: 'global-table-test', level: 'silent' });
  let producer: Producer;

  const contact = (userId: string, email = `${userId}@example.com`): UserContact => ({
    metadata: newMetadata({ producer: 'global-table-test' }),
    userId,
    email,
    name: `Name ${userId}`,
    locale: 'en-GB',
    marketingConsent: false,
  });

  async function write(rows: Array<UserContact | { userId: string; tombstone: true }>) {
    const messages = await Promise.all(
      rows.map(async (row) => ({
        key: row.userId,
        value:
          'tombstone' in row ? null : await codec.encode('fanout.user.UserContact', row, topic),
      })),
    );
    await producer.send({ topic, acks: -1, messages });
  }

  const table = (file: string, stallMs?: number, flushMs?: number) =>
    new GlobalTable<{ email: string }>({
      stallMs,
      flushMs,
      name: 'contacts',
      topic,
      kafka,
      codec,
      file,
      logger,
      groupPrefix: uniqueName('gt'),
      project: (value, eventType) =>
        eventType === 'fanout.user.UserContact'
          ? { email: (value as UserContact).email }
          : undefined,
    });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsReliably(admin, [
        {
          topic,
          numPartitions: 3,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ]);
    } finally {
      await admin.disconnect();
    }
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await codec.close();
  });

  const file = join(mkdtempSync(join(tmpdir(), 'global-table-')), 'contacts.db');
  const users = Array.from({ length: 40 }, (_, i) => `u-${i}`);

  it('start() resolves only once every row on the topic is in the table', async () => {
    await write(users.map((u) => contact(u)));
    const first = table(file);
    try {
      await first.start();
      expect(first.stats).toMatchObject({ rows: 40, caughtUp: true, resumed: false });
      expect(first.stats.recordsReadToCatchUp).toBe(40);
      expect(first.get('u-7')).toEqual({ email: 'u-7@example.com' });
    } finally {
      await first.stop();
    }
  });

  it('a restart reads only the records written since, from the positions in its local file', async () => {
    await write([contact('u-40'), contact('u-3', 'changed@example.com')]);
    const again = table(file);
    try {
      await again.start();
      // Measured: 2 records read at restart instead of the topic's 42.
      expect(again.stats).toMatchObject({ rows: 41, resumed: true, recordsReadToCatchUp: 2 });
      expect(again.get('u-3')).toEqual({ email: 'changed@example.com' });
      expect(again.get('u-40')).toEqual({ email: 'u-40@example.com' });
    } finally {
      await again.stop();
    }
  });

  it('keeps up while running: lookup() waits for a row written after the call, a tombstone deletes', async () => {
    const live = table(file);
    try {
      await live.start();
      expect(live.get('late')).toBeUndefined();
      const found = live.lookup('late', 10_000);
      await write([contact('late')]);
      expect(await found).toEqual({ email: 'late@example.com' });
      await write([{ userId: 'u-1', tombstone: true }]);
      const deadline = Date.now() + 10_000;
      while (live.get('u-1') !== undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(live.get('u-1')).toBeUndefined();
      // A key that never comes: undefined after the bounded wait, not a hang.
      const started = Date.now();
      expect(await live.lookup('never', 300)).toBeUndefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await live.stop();
    }
  });

  it('a reader that stops fetching is replaced and goes on from its positions', async () => {
    const watched = table(file, 1_500);
    try {
      await watched.start();
      const before = watched.stats.recordsRead;
      // The reader stops fetching with no error, as a kafkajs consumer can after a crash-restart
      // during a coordinator move: every partition of the topic paused underneath it.
      const reader = (watched as unknown as { consumer: Consumer }).consumer;
      reader.pause([{ topic }]);
      const found = watched.lookup('after-stall', 20_000);
      await write([contact('after-stall')]);
      expect(await found).toEqual({ email: 'after-stall@example.com' });
      expect(watched.stats.readerReopens).toBe(1);
      // The new reader went on from the kept positions: only the new record was read.
      expect(watched.stats.recordsRead - before).toBe(1);
      expect(watched.healthy).toBe(true);
    } finally {
      await watched.stop();
    }
  });

  it('rows served but not yet written to the file when the process dies are read again at restart', async () => {
    // Write-behind: rows reach the file once per flushMs. Here never while running, and the
    // file is copied as a crash leaves it (the SQLite file and its WAL, nothing staged).
    const running = table(file, undefined, 3_600_000);
    const crashed = join(mkdtempSync(join(tmpdir(), 'global-table-')), 'contacts.db');
    try {
      await running.start();
      const rowsBefore = running.stats.rows;
      await write([contact('staged-1'), contact('staged-2'), contact('u-5', 'moved@example.com')]);
      expect(await running.lookup('staged-2', 10_000)).toEqual({ email: 'staged-2@example.com' });
      const deadline = Date.now() + 10_000;
      while (running.get('u-5')?.email !== 'moved@example.com' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      for (const suffix of ['', '-wal', '-shm'])
        if (existsSync(file + suffix)) copyFileSync(file + suffix, crashed + suffix);
      const restarted = table(crashed);
      try {
        await restarted.start();
        // The three records after the file's positions are read again: none is lost.
        expect(restarted.stats).toMatchObject({ resumed: true, recordsReadToCatchUp: 3 });
        expect(restarted.stats.rows).toBe(rowsBefore + 2);
        expect(restarted.get('staged-1')).toEqual({ email: 'staged-1@example.com' });
        expect(restarted.get('u-5')).toEqual({ email: 'moved@example.com' });
      } finally {
        await restarted.stop();
      }
    } finally {
      await running.stop();
    }
  });

  it('a fresh file reads the whole topic again: the rows, not the history', async () => {
    const fresh = table(join(mkdtempSync(join(tmpdir(), 'global-table-')), 'contacts.db'));
    try {
      await fresh.start();
      // 40 + 1 new + 1 late + 1 after the stall + 2 staged, minus u-1's tombstone: 44 rows,
      // whatever compaction kept.
      expect(fresh.stats.rows).toBe(44);
      expect(fresh.get('u-3')).toEqual({ email: 'changed@example.com' });
    } finally {
      await fresh.stop();
    }
  });
});
