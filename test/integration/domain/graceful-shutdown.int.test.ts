import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { countRows } from './support/database-probe';
import { API_KEY, call } from './support/http-client';
import { ServiceProcess, freePort } from './support/service-process';
import { createTopic, readTopic } from './support/topic-reader';

const endpoints = platformEndpoints();

describe('graceful shutdown', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it('SIGTERM under load: every request answered 201 is stored and published, and none gets a 500', async () => {
    const topic = uniqueName('it-user-shutdown');
    await createTopic(topic);
    const dataDir = mkdtempSync(join(tmpdir(), 'user-shutdown-'));
    service = new ServiceProcess('user-service', await freePort(), {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      DATA_DIR: dataDir,
      API_KEYS: API_KEY,
      USER_EVENTS_TOPIC: topic,
      LOG_LEVEL: 'warn',
    });
    await service.start();

    const inFlight = Array.from({ length: 60 }, (_, i) =>
      call(service!.baseUrl, 'POST', '/users', {
        body: { email: `drain-${i}@example.com`, name: `Drain ${i}` },
      }).then(
        (r) => r.status,
        () => 'refused' as const,
      ),
    );
    // SIGTERM as soon as the server is answering, while most requests are still in flight.
    await Promise.race(inFlight);
    const stopped = service.stop();
    const outcomes = await Promise.all(inFlight);
    expect((await stopped).code).toBe(0);

    const created = outcomes.filter((o) => o === 201).length;
    // Accepted, or turned away while closing (503, refused): never a failure mid-request.
    for (const outcome of outcomes) expect([201, 503, 'refused']).toContain(outcome);
    expect(created).toBeGreaterThan(0);
    expect(countRows(join(dataDir, 'user-service.db'), 'users')).toBe(created);

    await service.start();
    const records = await readTopic(topic, { expected: created, quietMs: 3_000 });
    expect(records).toHaveLength(created);
    expect(new Set(records.map((r) => r.eventId)).size).toBe(created);
  });
});
