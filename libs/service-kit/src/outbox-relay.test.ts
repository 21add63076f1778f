import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { openDatabase } from './database';
import { SqliteOutbox } from './outbox-store';
import { OutboxRelay } from './outbox-relay';
import type { OutboxPublisher } from './outbox-relay';
import type { OutboxRow } from './outbox-store';

const logger = pino({ level: 'silent' });

function event(n: number, aggregateId: string) {
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    aggregateId,
    topic: 't',
    eventType: 'fanout.test.Thing',
    payload: { n },
  };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('outbox relay', () => {
  it('publishes every row once, in insert order, and marks them sent', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    const seen: string[] = [];
    const publisher: OutboxPublisher = {
      publish: async (rows) => void seen.push(...rows.map((r) => r.eventId)),
    };
    const relay = new OutboxRelay({
      outbox,
      publisher,
      logger,
      batchSize: 3,
      pollIntervalMs: 10_000,
    });
    relay.start();
    for (let n = 1; n <= 10; n += 1)
      db.transaction(() => outbox.append(event(n, n % 2 ? 'a' : 'b')))();
    await until(() => seen.length === 10);
    await relay.stop();
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => event(i + 1, '').eventId));
    expect(outbox.backlog()).toBe(0);
  });

  it('keeps rows while publishing fails, backs off, and resumes in order without losing one', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    let failuresLeft = 3;
    const attempts: number[] = [];
    const seen: string[] = [];
    const publisher: OutboxPublisher = {
      publish: async (rows: readonly OutboxRow[]) => {
        attempts.push(Date.now());
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('broker unreachable');
        }
        seen.push(...rows.map((r) => r.eventId));
      },
    };
    const relay = new OutboxRelay({
      outbox,
      publisher,
      logger,
      pollIntervalMs: 10_000,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    for (let n = 1; n <= 4; n += 1) outbox.append(event(n, 'a'));
    relay.start();
    await until(() => relay.status().consecutiveFailures === 2);
    expect(relay.status()).toMatchObject({ backlog: 4, lastError: 'broker unreachable' });
    await until(() => seen.length === 4);
    await relay.stop();
    expect(seen).toEqual([1, 2, 3, 4].map((n) => event(n, 'a').eventId));
    expect(attempts).toHaveLength(4);
    // Backoff: the gaps between failed attempts grow.
    expect(attempts[3]! - attempts[2]!).toBeGreaterThanOrEqual(attempts[1]! - attempts[0]! - 5);
    expect(relay.status()).toMatchObject({ backlog: 0, consecutiveFailures: 0, lastError: null });
  });

  it('retries at once when Kafka answers again instead of sleeping out a long backoff', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    let brokerUp = false;
    const seen: string[] = [];
    const attempts: number[] = [];
    const publisher: OutboxPublisher = {
      publish: async (rows) => {
        attempts.push(Date.now());
        if (!brokerUp) throw new Error('broker unreachable');
        seen.push(...rows.map((r) => r.eventId));
      },
    };
    const relay = new OutboxRelay({
      outbox,
      publisher,
      logger,
      pollIntervalMs: 60_000,
      // Every backoff is a minute: only the reachability probe can bring the retry forward.
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      reachable: async () => brokerUp,
      reachabilityIntervalMs: 20,
    });
    outbox.append(event(1, 'a'));
    relay.start();
    await until(() => attempts.length === 1);
    await new Promise((r) => setTimeout(r, 100)); // probes see the broker down
    brokerUp = true;
    const cameBack = Date.now();
    await until(() => seen.length === 1, 2_000);
    await relay.stop();
    expect(attempts).toHaveLength(2);
    expect(attempts[1]! - cameBack).toBeLessThan(1_000);
    expect(relay.status().backlog).toBe(0);
  });

  it('keeps its backoff when Kafka answered all along (the failure is elsewhere)', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    const attempts: number[] = [];
    let probes = 0;
    const publisher: OutboxPublisher = {
      publish: async () => {
        attempts.push(Date.now());
        throw new Error('schema registry unavailable');
      },
    };
    const relay = new OutboxRelay({
      outbox,
      publisher,
      logger,
      pollIntervalMs: 60_000,
      backoff: { initialMs: 400, maxMs: 400 },
      reachable: async () => {
        probes += 1;
        return true;
      },
      reachabilityIntervalMs: 20,
    });
    outbox.append(event(1, 'a'));
    relay.start();
    await until(() => probes >= 5);
    await relay.stop();
    // The probes said "reachable" from the start: no retry was brought forward.
    expect(attempts).toHaveLength(1);
    expect(relay.status().backlog).toBe(1);
  });

  it('does not publish rows of a transaction that rolled back', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    expect(() =>
      db.transaction(() => {
        outbox.append(event(1, 'a'));
        throw new Error('entity insert failed');
      })(),
    ).toThrow('entity insert failed');
    expect(outbox.backlog()).toBe(0);
  });

  it('after a crash left rows in doubt, publishes only those recovery does not find on the topic', async () => {
    const db = openDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    for (let n = 1; n <= 3; n += 1) outbox.append(event(n, 'a'));
    // The previous process started publishing rows 1 and 2 and died before marking them.
    const [first, second] = outbox.pending(2);
    outbox.markPublishing([first!.seq, second!.seq]);
    const looked: string[] = [];
    const seen: string[] = [];
    const relay = new OutboxRelay({
      outbox,
      logger,
      pollIntervalMs: 10_000,
      publisher: { publish: async (rows) => void seen.push(...rows.map((r) => r.eventId)) },
      recovery: {
        findPublished: async (rows) => {
          looked.push(...rows.map((r) => r.eventId));
          return new Set([first!.eventId]); // row 1 reached Kafka, row 2 did not
        },
      },
    });
    relay.start();
    await until(() => outbox.backlog() === 0);
    await relay.stop();
    expect(looked).toEqual([event(1, 'a').eventId, event(2, 'a').eventId]);
    expect(seen).toEqual([event(2, 'a').eventId, event(3, 'a').eventId]);
    expect(outbox.inDoubt()).toBeUndefined();
  });
});
