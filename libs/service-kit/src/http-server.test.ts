import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from './http-server';
import { idempotency } from './idempotency-plugin';
import { openDatabase } from './database';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store';
import { ProblemError } from './problem';

const KEY = 'test-key-0123456789abcdef';
const OTHER_KEY = 'test-key-fedcba9876543210';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function server(options: { rateMax?: number; bodyLimitBytes?: number } = {}) {
  const db = openDatabase(':memory:');
  const http = await createHttpServer({
    logger: pino({ level: 'silent' }),
    apiKeys: [KEY, OTHER_KEY],
    bodyLimitBytes: options.bodyLimitBytes ?? 1024,
    rateLimit: { max: options.rateMax ?? 1000, timeWindowMs: 60_000 },
  });
  await http.app.register(idempotency, { store: new SqliteIdempotencyStore(db) });
  let created = 0;
  http.app.post(
    '/things',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'count'],
          properties: {
            email: { type: 'string', format: 'email' },
            count: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request, reply) => {
      created += 1;
      const body = { id: created, ...(request.body as object) };
      request.idempotency?.complete(201, body);
      return reply.code(201).send(body);
    },
  );
  http.app.get('/things/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (id === 'boom') throw new Error('database password is hunter2');
    throw new ProblemError(404, 'not-found', `No thing ${id}.`);
  });
  app = http.app;
  await http.app.ready();
  return { http, created: () => created };
}

const headers = (key = KEY) => ({ 'x-api-key': key, 'content-type': 'application/json' });

describe('HTTP server', () => {
  it('answers a missing API key with 401 and a wrong one with 403, as problem+json', async () => {
    const { http } = await server();
    const missing = await http.app.inject({
      method: 'POST',
      url: '/things',
      payload: { email: 'a@b.co', count: 1 },
    });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({
      status: 401,
      title: 'Unauthorized',
      instance: '/things',
    });
    const wrong = await http.app.inject({
      method: 'POST',
      url: '/things',
      headers: headers('nope-nope-nope-nope'),
      payload: {},
    });
    expect(wrong.statusCode).toBe(403);
  });

  it('names each invalid, missing and unknown field in a 400', async () => {
    const { http, created } = await server();
    const response = await http.app.inject({
      method: 'POST',
      url: '/things',
      headers: headers(),
      payload: { email: 'not-an-email', role: 'admin' },
    });
    expect(response.statusCode).toBe(400);
    const fields = (response.json().errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['count', 'email', 'role']);
    const wrongType = await http.app.inject({
      method: 'POST',
      url: '/things',
      headers: headers(),
      payload: { email: 'a@b.co', count: '3' },
    });
    expect(wrongType.json().errors).toEqual([{ field: 'count', message: 'must be integer' }]);
    expect(created()).toBe(0);
  });

  it('answers bad JSON with 400, a non-JSON body with 415 and an oversize body with 413', async () => {
    const { http, created } = await server();
    const bad = await http.app.inject({
      method: 'POST',
      url: '/things',
      headers: headers(),
      payload: '{"email":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      type: 'https://fanout.dev/problems/invalid-json',
      errors: [{ field: '(body)' }],
    });
    const text = await http.app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-api-key': KEY, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    const big = await http.app.inject({
      method: 'POST',
      url: '/things',
      headers: headers(),
      payload: JSON.stringify({ email: 'a@b.co', count: 1, pad: 'x'.repeat(2000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toMatch(/problem\+json/);
    expect(created()).toBe(0);
  });

  it('tells an unknown path (404) from a wrong method (405 with Allow)', async () => {
    const { http } = await server();
    const missing = await http.app.inject({ method: 'GET', url: '/nothing', headers: headers() });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
    const wrongMethod = await http.app.inject({
      method: 'DELETE',
      url: '/things/42',
      headers: headers(),
    });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toContain('GET');
  });

  it('hides the internals of an unexpected error behind a 500 with the request id', async () => {
    const { http } = await server();
    const response = await http.app.inject({
      method: 'GET',
      url: '/things/boom',
      headers: headers(),
    });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
    expect(response.json().detail).toContain(String(response.headers['x-request-id']));
  });

  it('rate limits per API key with 429, Retry-After and problem+json', async () => {
    const { http } = await server({ rateMax: 2 });
    const get = (key: string) =>
      http.app.inject({ method: 'GET', url: '/things/1', headers: headers(key) });
    expect((await get(KEY)).statusCode).toBe(404);
    expect((await get(KEY)).statusCode).toBe(404);
    const limited = await get(KEY);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({
      status: 429,
      type: 'https://fanout.dev/problems/rate-limited',
    });
    expect((await get(OTHER_KEY)).statusCode).toBe(404);
  });

  it('serves health and readiness without an API key, 503 when a critical check fails', async () => {
    const { http } = await server();
    let kafkaUp = false;
    let dbOpen = true;
    http.readiness.add('database', () => ({ ok: dbOpen }));
    http.readiness.add('kafka', () => ({ ok: kafkaUp }), { critical: false });
    expect((await http.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await http.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.kafka).toEqual({ ok: false, critical: false });
    dbOpen = false;
    kafkaUp = true;
    expect((await http.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    http.gauges.gauge('fanout_outbox_backlog', 'rows waiting', () => 7);
    expect((await http.app.inject({ url: '/metrics' })).body).toContain('fanout_outbox_backlog 7');
  });
});

describe('Idempotency-Key', () => {
  const post = (http: { app: FastifyInstance }, key: string, payload: object, apiKey = KEY) =>
    http.app.inject({
      method: 'POST',
      url: '/things',
      headers: { ...headers(apiKey), 'idempotency-key': key },
      payload,
    });

  it('replays the first response to a retry and creates nothing new', async () => {
    const { http, created } = await server();
    const first = await post(http, 'k-1', { email: 'a@b.co', count: 1 });
    const retry = await post(http, 'k-1', { count: 1, email: 'a@b.co' });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(created()).toBe(1);
  });

  it('refuses the same key with a different body with 422', async () => {
    const { http, created } = await server();
    await post(http, 'k-2', { email: 'a@b.co', count: 1 });
    const reused = await post(http, 'k-2', { email: 'a@b.co', count: 2 });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().errors).toEqual([
      { field: 'Idempotency-Key', message: 'was used with a different body' },
    ]);
    expect(created()).toBe(1);
  });

  it('runs concurrent duplicates once', async () => {
    const { http, created } = await server();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => post(http, 'k-3', { email: 'a@b.co', count: 1 })),
    );
    expect(created()).toBe(1);
    for (const r of responses) expect([201, 409]).toContain(r.statusCode);
  });

  it("scopes keys per API key, so two clients never see each other's responses", async () => {
    const { http, created } = await server();
    await post(http, 'shared', { email: 'a@b.co', count: 1 });
    const other = await post(http, 'shared', { email: 'a@b.co', count: 1 }, OTHER_KEY);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(created()).toBe(2);
  });
});
