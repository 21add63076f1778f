import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { countRows } from './support/database-probe';
import { API_KEY, call } from './support/http-client';
import { ServiceProcess, freePort } from './support/service-process';
import { createTopic, readTopic } from './support/topic-reader';

const endpoints = platformEndpoints();
const REQUESTS = 25;

/**
 * The shared broker cannot be stopped, so "Kafka down" is the service started against an
 * address where no broker listens. The outbox is a file: the service is stopped and started
 * again on the same data directory with the real broker, as after a Kafka outage that outlived
 * the process.
 */
describe('Kafka unavailable while requests arrive', () => {
  const topic = uniqueName('it-user-outage');
  const dataDir = mkdtempSync(join(tmpdir(), 'user-outage-'));
  const dbFile = join(dataDir, 'user-service.db');
  let service: ServiceProcess;
  const env = {
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATA_DIR: dataDir,
    API_KEYS: API_KEY,
    USER_EVENTS_TOPIC: topic,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_INTERVAL_MS: '200',
    // Tracing on, exported to Jaeger: the publish after the outage must continue each request's trace.
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpHttpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  };

  beforeAll(async () => {
    await createTopic(topic);
    service = new ServiceProcess('user-service', await freePort(), env);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('accepts every request with 201, keeps the events in the outbox, and publishes each exactly once after Kafka returns', async () => {
    const unreachable = `127.0.0.1:${await freePort()}`;
    await service.start({ KAFKA_BROKERS: unreachable });

    const users: { id: string; traceId: string }[] = [];
    for (let i = 0; i < REQUESTS; i += 1) {
      const traceId = randomBytes(16).toString('hex');
      const response = await call(service.baseUrl, 'POST', '/users', {
        body: { email: `outage-${i}@example.com`, name: `Outage ${i}` },
        headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      });
      expect(response.status).toBe(201);
      users.push({ id: (response.body as { id: string }).id, traceId });
    }

    // Still accepting, not ready to be blamed: the backlog is reported, Kafka is reported down.
    const ready = await call(service.baseUrl, 'GET', '/readyz', { apiKey: null });
    expect(ready.body).toMatchObject({
      ready: true,
      checks: {
        kafka: { ok: false, critical: false },
        // Two outbox rows per registration: UserRegistered and the user's UserContact row.
        outbox: { ok: true, detail: expect.stringContaining(`backlog ${REQUESTS * 2}`) },
      },
    });
    expect(countRows(dbFile, 'outbox')).toBe(REQUESTS * 2);

    const stopped = await service.stop();
    expect(stopped.code).toBe(0);
    // Nothing reached the topic during the outage.
    expect(await readTopic(topic, { expected: 1, timeoutMs: 8_000, quietMs: 1_000 })).toHaveLength(
      0,
    );

    await service.start({ KAFKA_BROKERS: endpoints.kafkaBrokers.join(',') });
    const records = await readTopic(topic, { expected: REQUESTS, quietMs: 4_000 });

    const byUser = new Map<string, number>();
    for (const record of records)
      byUser.set(record.key ?? '', (byUser.get(record.key ?? '') ?? 0) + 1);
    expect(records).toHaveLength(REQUESTS);
    expect(new Set(records.map((r) => r.eventId)).size).toBe(REQUESTS);
    for (const user of users) expect(byUser.get(user.id)).toBe(1);

    // Each event continues the trace of the request that created it, across the restart.
    for (const user of users) {
      const record = records.find((r) => r.key === user.id);
      expect(record?.headers.traceparent?.split('-')[1]).toBe(user.traceId);
    }

    const after = await call(service.baseUrl, 'GET', '/readyz', { apiKey: null });
    expect(after.body).toMatchObject({
      ready: true,
      checks: { kafka: { ok: true }, outbox: { detail: expect.stringMatching(/^backlog 0/) } },
    });
  });
});
