import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killBroker, restartBroker, startPlatform, stopPlatform } from '@fanout/local-platform';
import type { ComponentName, StackEndpoints } from '@fanout/local-platform';
import { createTopicsReliably } from '@fanout/contracts';
import { uniqueName } from '@fanout/test-platform';
import { API_KEY, call } from './support/http-client';
import { ServiceProcess, freePort } from './support/service-process';

/**
 * The real outage: this file runs its own Kafka + registry (profile `kafka-outage`, ports
 * +12000 (below the kernel's ephemeral port range), never the shared platform, which other tests use), SIGKILLs the broker while
 * user-service keeps taking requests, and starts the broker again on the same storage.
 */
const stack = {
  profile: 'kafka-outage',
  portOffset: 12_000,
  components: ['kafka', 'registry'] as ComponentName[],
};
const BROKER = 1;
const BEFORE = 5;
const DURING = 12;
/** A 201 must not wait on Kafka; this leaves room for a busy 2-core CI machine. */
const PROMPT_MS = 2_000;

const platformLog: string[] = [];
const log = (line: string) => void platformLog.push(line);
const topic = uniqueName('it-user-kafka-outage');
const dataDir = mkdtempSync(join(tmpdir(), 'user-kafka-outage-'));
const dbFile = join(dataDir, 'user-service.db');
let endpoints: StackEndpoints;
let service: ServiceProcess | undefined;

interface OutboxRow {
  seq: number;
  eventId: string;
  aggregateId: string;
  sent: boolean;
}

/**
 * The service's outbox rows for the user events topic, read-only (WAL lets a second reader in
 * while the service writes). Each registration also has a UserContact row for the user table
 * topic, which this file does not read.
 */
function outboxRows(): OutboxRow[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (
      db
        .prepare(
          'SELECT seq, event_id AS eventId, aggregate_id AS aggregateId, sent_at IS NOT NULL AS sent FROM outbox WHERE topic = ? ORDER BY seq',
        )
        .all(topic) as { seq: number; eventId: string; aggregateId: string; sent: number }[]
    ).map((r) => ({ ...r, sent: r.sent === 1 }));
  } finally {
    db.close();
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Published {
  key: string;
  eventId: string;
  partition: number;
  offset: bigint;
}

/**
 * Reads the topic from the beginning on this file's broker until `expected` records arrived
 * and `quietMs` passed without more (so a late duplicate would still be counted), bounded.
 */
async function readAll(expected: number, timeoutMs: number, quietMs: number): Promise<Published[]> {
  const kafka = new Kafka({
    clientId: 'kafka-outage-test',
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('kafka-outage-reader') });
  const records: Published[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const id = message.headers?.['messaging.message.id'];
        records.push({
          key: message.key?.toString() ?? '',
          eventId: (Array.isArray(id) ? id[id.length - 1] : id)?.toString() ?? '',
          partition,
          offset: BigInt(message.offset),
        });
        lastArrival = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (records.length >= expected && Date.now() - lastArrival >= quietMs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}

async function register(label: string): Promise<{ id: string; status: number; ms: number }> {
  if (!service) throw new Error('service not started');
  const started = performance.now();
  const response = await call(service.baseUrl, 'POST', '/users', {
    body: { email: `${label}@example.com`, name: `User ${label}` },
  });
  const ms = performance.now() - started;
  return {
    id: (response.body as { id?: string } | undefined)?.id ?? '',
    status: response.status,
    ms,
  };
}

beforeAll(async () => {
  const platform = await startPlatform({ ...stack, log });
  endpoints = platform.endpoints;
  const admin = new Kafka({
    clientId: 'kafka-outage-admin',
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await createTopicsReliably(admin, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
  } finally {
    await admin.disconnect();
  }
  service = new ServiceProcess('user-service', await freePort(), {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATA_DIR: dataDir,
    API_KEYS: API_KEY,
    USER_EVENTS_TOPIC: topic,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_INTERVAL_MS: '200',
    // No Jaeger in this stack: tracing is not what this file proves.
    OTEL_SDK_DISABLED: 'true',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
  });
  await service.start();
}, 300_000);

afterAll(async () => {
  // Each step runs even if the one before fails: a leaked broker would hold this stack's ports.
  try {
    await service?.stop();
  } catch (error) {
    service?.kill();
    console.error('kafka-outage: service stop failed', error);
  }
  try {
    await stopPlatform({ ...stack, log });
  } catch (error) {
    console.error('kafka-outage: stopPlatform failed', error, platformLog.slice(-20).join('\n'));
  }
}, 120_000);

describe('Kafka stopped while requests arrive', () => {
  it('answers every request 201 promptly while the broker is dead, and after it restarts publishes every event exactly once, in order', async () => {
    if (!service) throw new Error('service not started');
    const accepted: string[] = [];

    // Before the outage: accepted and published, so the broker has state to come back to.
    for (let i = 0; i < BEFORE; i += 1) {
      const r = await register(`before-${i}-${topic}`);
      expect(r.status).toBe(201);
      accepted.push(r.id);
    }
    await until(
      'pre-outage events published',
      () => (outboxRows().every((row) => row.sent) ? true : undefined),
      30_000,
    );

    killBroker(BROKER, { ...stack, log });

    // During the outage: every request is stored and answered without waiting on Kafka.
    const slow: number[] = [];
    for (let i = 0; i < DURING; i += 1) {
      const r = await register(`during-${i}-${topic}`);
      expect(r.status).toBe(201);
      if (r.ms > PROMPT_MS) slow.push(Math.round(r.ms));
      accepted.push(r.id);
    }
    expect(slow).toEqual([]);

    // /readyz keeps serving 200: Kafka is reported down but not critical, the backlog is shown.
    const readiness = await until(
      'readyz reports Kafka down',
      async () => {
        const ready = await call(service!.baseUrl, 'GET', '/readyz', { apiKey: null });
        expect(ready.status).toBe(200);
        const checks = (ready.body as { checks?: { kafka?: { ok?: boolean } } }).checks;
        return checks?.kafka?.ok === false ? ready.body : undefined;
      },
      30_000,
    );
    expect(readiness).toMatchObject({
      ready: true,
      checks: {
        kafka: { ok: false, critical: false },
        // Two outbox rows per registration: UserRegistered and the user's UserContact row.
        outbox: { ok: true, detail: expect.stringMatching(new RegExp(`^backlog ${DURING * 2},`)) },
      },
    });
    const waiting = outboxRows().filter((row) => !row.sent);
    expect(waiting).toHaveLength(DURING);

    await restartBroker(BROKER, { ...stack, log });

    // The relay drains on its own (bounded), then the topic is read with a quiet period.
    await until(
      'outbox drained after the broker restart',
      () => (outboxRows().every((row) => row.sent) ? true : undefined),
      90_000,
    );
    const records = await readAll(accepted.length, 60_000, 4_000);

    const rows = outboxRows();
    expect(rows.map((r) => r.aggregateId).sort()).toEqual([...accepted].sort());
    expect(records).toHaveLength(accepted.length);
    const seen = new Map<string, number>();
    for (const record of records) seen.set(record.eventId, (seen.get(record.eventId) ?? 0) + 1);
    for (const row of rows) {
      expect(seen.get(row.eventId), `event ${row.eventId} of ${row.aggregateId}`).toBe(1);
      expect(records.find((r) => r.eventId === row.eventId)?.key).toBe(row.aggregateId);
    }

    // In order: the relay sends one batch at a time in outbox order, so within each partition
    // (and so for every key) the offsets follow the outbox sequence.
    const seqOf = new Map(rows.map((r) => [r.eventId, r.seq]));
    for (const partition of new Set(records.map((r) => r.partition))) {
      const inPartition = records
        .filter((r) => r.partition === partition)
        .sort((a, b) => (a.offset < b.offset ? -1 : 1))
        .map((r) => seqOf.get(r.eventId) ?? -1);
      expect(inPartition).toEqual([...inPartition].sort((a, b) => a - b));
    }

    const after = await call(service.baseUrl, 'GET', '/readyz', { apiKey: null });
    expect(after.body).toMatchObject({
      ready: true,
      checks: { outbox: { detail: expect.stringMatching(/^backlog 0,/) } },
    });
  }, 240_000);
});
