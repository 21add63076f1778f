import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { API_KEY, call } from './support/http-client';
import { ServiceProcess, freePort } from './support/service-process';
import { createTopic, readTopic } from './support/topic-reader';

const endpoints = platformEndpoints();

/**
 * SIGKILL at the two points of the relay's cycle, via the test-only OUTBOX_TEST_CRASH_POINT:
 * - after-fetch: the row is committed, the publish has not happened. After restart the event
 *   is on the topic exactly once: nothing was lost, nothing duplicated.
 * - after-publish: Kafka acknowledged, the row was not marked sent, so it is "in doubt". After
 *   restart the relay's recovery finds its eventId on the topic and marks it sent instead of
 *   sending it again: the topic holds it exactly once. (Consumers still dedupe by eventId, for
 *   any writer that bypasses recovery; see the OutboxRelay guarantee.)
 */
describe('SIGKILL between the database commit and the publish', () => {
  const processes: ServiceProcess[] = [];

  afterAll(async () => {
    for (const p of processes) await p.stop().catch(() => p.kill());
  });

  async function crashingService(crashPoint: 'after-fetch' | 'after-publish') {
    const topic = uniqueName(`it-user-crash-${crashPoint}`);
    await createTopic(topic);
    const service = new ServiceProcess('user-service', await freePort(), {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), `user-crash-${crashPoint}-`)),
      API_KEYS: API_KEY,
      USER_EVENTS_TOPIC: topic,
      LOG_LEVEL: 'warn',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    processes.push(service);
    await service.start({ OUTBOX_TEST_CRASH_POINT: crashPoint });
    const response = await call(service.baseUrl, 'POST', '/users', {
      body: { email: `crash-${crashPoint}@example.com`, name: 'Crash' },
    });
    // The 201 is sent before the relay's next tick: the commit is what the caller waited for.
    expect(response.status).toBe(201);
    const exit = await service.waitForExit();
    expect(exit.signal).toBe('SIGKILL');
    return { service, topic, userId: (response.body as { id: string }).id };
  }

  it('a crash after the commit but before the publish publishes the event exactly once after restart', async () => {
    const { service, topic, userId } = await crashingService('after-fetch');
    expect(await readTopic(topic, { expected: 1, timeoutMs: 8_000, quietMs: 1_000 })).toHaveLength(
      0,
    );

    await service.start({ OUTBOX_TEST_CRASH_POINT: undefined });
    const records = await readTopic(topic, { expected: 1, quietMs: 4_000 });
    expect(records).toHaveLength(1);
    expect(records[0]?.key).toBe(userId);
  });

  it('a crash after the ack but before marking sent does not publish the event again after restart', async () => {
    const { service, topic, userId } = await crashingService('after-publish');
    const beforeRestart = await readTopic(topic, { expected: 1, quietMs: 1_000 });
    expect(beforeRestart).toHaveLength(1);
    const eventId = beforeRestart[0]?.eventId;

    await service.start({ OUTBOX_TEST_CRASH_POINT: undefined });
    // Recovery settles the row before the relay publishes anything: the backlog drains to 0.
    const deadline = Date.now() + 60_000;
    let detail = '';
    while (Date.now() < deadline) {
      const ready = await call(service.baseUrl, 'GET', '/readyz', { apiKey: null });
      detail = (ready.body as { checks: { outbox: { detail: string } } }).checks.outbox.detail;
      if (detail.startsWith('backlog 0')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(detail).toMatch(/^backlog 0/);
    // A later event goes out normally, after the recovered one.
    const later = await call(service.baseUrl, 'POST', '/users', {
      body: { email: 'after-crash@example.com', name: 'Later' },
    });
    expect(later.status).toBe(201);
    const records = await readTopic(topic, { expected: 2, quietMs: 4_000 });
    expect(records.filter((r) => r.eventId === eventId)).toHaveLength(1);
    expect(records.find((r) => r.eventId === eventId)?.key).toBe(userId);
    expect(records.map((r) => r.key)).toContain((later.body as { id: string }).id);
    expect(records).toHaveLength(2);
  });
});
