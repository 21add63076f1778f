import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { countRows } from './support/database-probe';
import { API_KEY, OTHER_API_KEY, call, fieldsOf } from './support/http-client';
import { ServiceProcess, freePort } from './support/service-process';
import { createTopic, readTopic } from './support/topic-reader';

const endpoints = platformEndpoints();
const topic = uniqueName('it-user-events');
const contactsTopic = uniqueName('it-user-contacts');
const dataDir = mkdtempSync(join(tmpdir(), 'user-service-'));
const dbFile = join(dataDir, 'user-service.db');
let service: ServiceProcess;

const validUser = (n: string) => ({
  email: `user-${n}@example.com`,
  name: `User ${n}`,
  marketingConsent: true,
  locale: 'en-GB',
});

beforeAll(async () => {
  await createTopic(topic);
  await createTopic(contactsTopic);
  service = new ServiceProcess('user-service', await freePort(), {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATA_DIR: dataDir,
    API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
    USER_EVENTS_TOPIC: topic,
    USER_CONTACTS_TOPIC: contactsTopic,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_INTERVAL_MS: '200',
  });
  await service.start();
});

afterAll(async () => {
  await service?.stop();
});

describe('user-service', () => {
  let registeredId = '';

  it('registers a user with 201, serves it by id, and publishes UserRegistered once', async () => {
    const created = await call(service.baseUrl, 'POST', '/users', { body: validUser('one') });
    expect(created.status).toBe(201);
    const user = created.body as {
      id: string;
      email: string;
      marketingConsent: boolean;
      locale: string;
    };
    expect(user).toMatchObject({
      email: 'user-one@example.com',
      marketingConsent: true,
      locale: 'en-GB',
    });
    registeredId = user.id;
    expect(created.headers.get('location')).toBe(`/users/${user.id}`);

    const fetched = await call(service.baseUrl, 'GET', `/users/${user.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);

    const records = await readTopic(topic, { expected: 1 });
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.key).toBe(user.id);
    expect(record?.eventType).toBe('fanout.user.UserRegistered');
    expect(record?.value).toMatchObject({
      userId: user.id,
      email: 'user-one@example.com',
      name: 'User one',
      locale: 'en-GB',
    });
    expect(record?.headers['fanout.producer']).toBe('user-service');
  });

  it("writes the user's row to the user table topic, keyed by user id, with the registration", async () => {
    const rows = await readTopic(contactsTopic, { expected: 1 });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key).toBe(registeredId);
    expect(rows[0]?.eventType).toBe('fanout.user.UserContact');
    expect(rows[0]?.value).toMatchObject({
      userId: registeredId,
      email: 'user-one@example.com',
      name: 'User one',
      locale: 'en-GB',
      marketingConsent: true,
    });
  });

  it('answers an unknown user id with 404 and a malformed one with 400 naming the id', async () => {
    const missing = await call(
      service.baseUrl,
      'GET',
      '/users/7d1f1c38-3d5b-4a7e-9a43-1e1b7d5f0a11',
    );
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const malformed = await call(service.baseUrl, 'GET', '/users/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed)).toEqual(['id']);
  });

  describe('bad input gets a 4xx problem naming the field, and nothing is written or published', () => {
    const cases: {
      name: string;
      body?: unknown;
      raw?: string;
      contentType?: string;
      status: number;
      fields?: string[];
    }[] = [
      { name: 'missing fields', body: {}, status: 400, fields: ['email', 'name'] },
      {
        name: 'wrong types',
        body: { email: 42, name: ['x'], marketingConsent: 'yes' },
        status: 400,
        fields: ['email', 'marketingConsent', 'name'],
      },
      {
        name: 'an unknown field',
        body: { ...validUser('x1'), role: 'admin' },
        status: 400,
        fields: ['role'],
      },
      {
        name: 'an invalid email',
        body: { ...validUser('x2'), email: 'not-an-email' },
        status: 400,
        fields: ['email'],
      },
      {
        name: 'a malformed locale',
        body: { ...validUser('x3'), locale: 'english please' },
        status: 400,
        fields: ['locale'],
      },
      {
        name: 'a locale with an underscore',
        body: { ...validUser('x7'), locale: 'en_GB' },
        status: 400,
        fields: ['locale'],
      },
      {
        name: 'a locale whose subtags are out of order (the old pattern let it through)',
        body: { ...validUser('x8'), locale: 'abc-de-fg-hi' },
        status: 400,
        fields: ['locale'],
      },
      {
        name: 'a blank name',
        body: { ...validUser('x4'), name: '   ' },
        status: 400,
        fields: ['name'],
      },
      {
        name: 'a body that is not JSON',
        raw: '{"email": "a@b.co", ',
        status: 400,
        fields: ['(body)'],
      },
      {
        name: 'a JSON array instead of an object',
        body: [validUser('x5')],
        status: 400,
        fields: ['(body)'],
      },
      {
        name: 'a body that is not application/json',
        raw: 'email=a@b.co',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
      },
      {
        name: 'an oversize body',
        body: { ...validUser('x6'), name: 'x'.repeat(20 * 1024) },
        status: 413,
      },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name} with ${testCase.status}`, async () => {
        const usersBefore = countRows(dbFile, 'users');
        const outboxBefore = countRows(dbFile, 'outbox');
        const response = await call(service.baseUrl, 'POST', '/users', {
          body: testCase.body,
          raw: testCase.raw,
          headers: testCase.contentType ? { 'content-type': testCase.contentType } : {},
        });
        expect(response.status).toBe(testCase.status);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: testCase.status, instance: '/users' });
        if (testCase.fields) expect(fieldsOf(response)).toEqual(testCase.fields);
        expect(countRows(dbFile, 'users')).toBe(usersBefore);
        expect(countRows(dbFile, 'outbox')).toBe(outboxBefore);
      });
    }

    it('rejects a duplicate registration of the same email, in any letter case, with 409', async () => {
      const usersBefore = countRows(dbFile, 'users');
      const duplicate = await call(service.baseUrl, 'POST', '/users', {
        body: { ...validUser('one'), email: 'USER-ONE@example.com' },
      });
      expect(duplicate.status).toBe(409);
      expect(fieldsOf(duplicate)).toEqual(['email']);
      expect(countRows(dbFile, 'users')).toBe(usersBefore);
    });

    it('published nothing for any of them: the topic holds only the one registration', async () => {
      const records = await readTopic(topic, { expected: 1, quietMs: 2_000 });
      expect(records.map((r) => r.key)).toEqual([registeredId]);
    });
  });

  describe('API keys', () => {
    it('answers a missing key with 401 and a wrong key with 403, writing nothing', async () => {
      const usersBefore = countRows(dbFile, 'users');
      const missing = await call(service.baseUrl, 'POST', '/users', {
        body: validUser('nokey'),
        apiKey: null,
      });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toContain('X-API-Key');
      const wrong = await call(service.baseUrl, 'POST', '/users', {
        body: validUser('badkey'),
        apiKey: 'wrong-key-000000000000',
      });
      expect(wrong.status).toBe(403);
      expect(wrong.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(countRows(dbFile, 'users')).toBe(usersBefore);
    });

    it('accepts the key as a bearer token too, and serves probes without a key', async () => {
      const bearer = await call(service.baseUrl, 'GET', `/users/${registeredId}`, {
        apiKey: null,
        headers: { authorization: `Bearer ${OTHER_API_KEY}` },
      });
      expect(bearer.status).toBe(200);
      expect((await call(service.baseUrl, 'GET', '/healthz', { apiKey: null })).status).toBe(200);
      const ready = await call(service.baseUrl, 'GET', '/readyz', { apiKey: null });
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        ready: true,
        checks: { database: { ok: true }, outbox: { ok: true }, kafka: { ok: true } },
      });
      const metrics = await call(service.baseUrl, 'GET', '/metrics', { apiKey: null });
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(metrics.text).toMatch(/fanout_outbox_backlog\{[^}]*outbox="user-service"[^}]*\} \d+/);
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first response to a retry, marked replayed, and creates and publishes nothing new', async () => {
      const key = uniqueName('idem');
      const body = validUser('idem');
      const first = await call(service.baseUrl, 'POST', '/users', {
        body,
        headers: { 'idempotency-key': key },
      });
      expect(first.status).toBe(201);
      const usersAfterFirst = countRows(dbFile, 'users');
      const outboxAfterFirst = countRows(dbFile, 'outbox');
      const retries = await Promise.all(
        [1, 2, 3].map(() =>
          call(service.baseUrl, 'POST', '/users', {
            body: { ...body },
            headers: { 'idempotency-key': key },
          }),
        ),
      );
      for (const retry of retries) {
        expect(retry.status).toBe(201);
        expect(retry.headers.get('idempotent-replayed')).toBe('true');
        expect(retry.body).toEqual(first.body);
      }
      expect(countRows(dbFile, 'users')).toBe(usersAfterFirst);
      expect(countRows(dbFile, 'outbox')).toBe(outboxAfterFirst);
      const id = (first.body as { id: string }).id;
      const records = await readTopic(topic, { expected: 2 });
      expect(records.filter((r) => r.key === id)).toHaveLength(1);
    });

    it('refuses the same key with a different body with 422, creating nothing', async () => {
      const key = uniqueName('idem');
      const first = await call(service.baseUrl, 'POST', '/users', {
        body: validUser('idem2'),
        headers: { 'idempotency-key': key },
      });
      expect(first.status).toBe(201);
      const usersBefore = countRows(dbFile, 'users');
      const reused = await call(service.baseUrl, 'POST', '/users', {
        body: validUser('idem3'),
        headers: { 'idempotency-key': key },
      });
      expect(reused.status).toBe(422);
      expect(fieldsOf(reused)).toEqual(['Idempotency-Key']);
      expect(countRows(dbFile, 'users')).toBe(usersBefore);
    });

    it('runs concurrent first attempts with one key exactly once', async () => {
      const key = uniqueName('idem');
      const body = validUser('race');
      const usersBefore = countRows(dbFile, 'users');
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          call(service.baseUrl, 'POST', '/users', { body, headers: { 'idempotency-key': key } }),
        ),
      );
      expect(countRows(dbFile, 'users')).toBe(usersBefore + 1);
      const ids = new Set(
        responses.filter((r) => r.status === 201).map((r) => (r.body as { id: string }).id),
      );
      expect(ids.size).toBe(1);
      for (const r of responses) expect([201, 409]).toContain(r.status);
    });
  });
});

describe('user-service locales', () => {
  it('accepts BCP 47 tags, stores and publishes them in canonical form', async () => {
    const tags: Array<[string, string]> = [
      ['en', 'en'],
      ['pt-br', 'pt-BR'],
      ['zh-Hant-TW', 'zh-Hant-TW'],
      ['de-CH', 'de-CH'],
      ['en-US-u-ca-gregory', 'en-US-u-ca-gregory'],
    ];
    const ids = new Map<string, string>();
    for (const [tag, canonical] of tags) {
      const created = await call(service.baseUrl, 'POST', '/users', {
        body: { ...validUser(uniqueName('loc')), locale: tag },
      });
      expect(created.status, tag).toBe(201);
      const user = created.body as { id: string; locale: string };
      expect(user.locale, tag).toBe(canonical);
      ids.set(user.id, canonical);
    }
    const records = (await readTopic(topic, { expected: 4 + tags.length })).filter((r) =>
      ids.has(r.key ?? ''),
    );
    expect(records).toHaveLength(tags.length);
    for (const record of records)
      expect((record.value as { locale: string }).locale).toBe(ids.get(record.key!));
  });
});

describe('user-service rate limit', () => {
  let limited: ServiceProcess;
  const limitedDir = mkdtempSync(join(tmpdir(), 'user-service-rl-'));

  beforeAll(async () => {
    limited = new ServiceProcess('user-service', await freePort(), {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      DATA_DIR: limitedDir,
      API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
      USER_EVENTS_TOPIC: topic,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '5',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
    await limited.start();
  });

  afterAll(async () => {
    await limited?.stop();
  });

  it('answers the request over the per-key limit with 429, Retry-After and problem+json, other keys unaffected', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i += 1) {
      last = await call(limited.baseUrl, 'GET', '/users/7d1f1c38-3d5b-4a7e-9a43-1e1b7d5f0a11');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(last?.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    const other = await call(
      limited.baseUrl,
      'GET',
      '/users/7d1f1c38-3d5b-4a7e-9a43-1e1b7d5f0a11',
      { apiKey: OTHER_API_KEY },
    );
    expect(other.status).toBe(404);
  });
});
