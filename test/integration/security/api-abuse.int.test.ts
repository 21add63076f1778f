import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { countRows } from '../domain/support/database-probe';
import { call } from '../domain/support/http-client';
import type { JsonResponse } from '../domain/support/http-client';
import { ServiceProcess, freePort } from '../domain/support/service-process';
import type { DomainServiceName } from '../domain/support/service-process';
import { createTopic, readTopic } from '../domain/support/topic-reader';

// The domain APIs' auth and rate limit under abuse, against user-service and order-service
// started as processes on the real platform. Every flood is bounded and every count exact.
//
// Each service gets four keys, one per concern, so no test spends another's rate budget:
// FLOOD (rate-limit flood), NEIGHBOUR (the other key during it), STEADY (valid traffic during
// the bad-key flood), PROBE (oversize inputs and liveness). The window is long (2 min), so the
// limit is a count, not a race against the clock.

const RATE_LIMIT_MAX = 40;
const RATE_LIMIT_WINDOW_MS = 120_000;
const KEYS = {
  flood: 'abuse-flood-key-7Qm2xK9pL4vN8rT1',
  neighbour: 'abuse-neighbour-key-3Hc6yW0aZ5bJ2sD',
  steady: 'abuse-steady-key-8Uf1gE4iO7kM9nQ3',
  probe: 'abuse-probe-key-5Vx0tR2wY6uI1oP4',
};
const endpoints = platformEndpoints();

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface Target {
  name: DomainServiceName;
  path: string;
  created: number;
  topic: string;
  dbFile: string;
  table: string;
  /** Outbox rows per accepted request: user-service also writes the user's UserContact row. */
  outboxRowsPerRequest: number;
  service: ServiceProcess;
  body: (n: number) => unknown;
}

function newTarget(name: DomainServiceName): Target {
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-abuse-`));
  const user = name === 'user-service';
  return {
    name,
    path: user ? '/users' : '/orders',
    created: user ? 201 : 202,
    topic: uniqueName(user ? 'abuse-users' : 'abuse-orders'),
    dbFile: join(dataDir, `${name}.db`),
    table: user ? 'users' : 'orders',
    outboxRowsPerRequest: user ? 2 : 1,
    service: undefined as unknown as ServiceProcess,
    body: user
      ? (n) => ({
          email: `abuse-${n}-${randomUUID().slice(0, 8)}@example.com`,
          name: `Abuse ${n}`,
          marketingConsent: false,
          locale: 'en-GB',
        })
      : () => ({
          customerId: randomUUID(),
          items: [{ sku: 'SKU-ABUSE-1', quantity: 1, unitPrice: 9.5 }],
          currency: 'EUR',
          shippingAddress: {
            recipientName: 'Abuse Test',
            line1: '1 Flood Lane',
            city: 'Dublin',
            postalCode: 'D01',
            country: 'IE',
          },
        }),
  };
}

const targets = [newTarget('user-service'), newTarget('order-service')];

beforeAll(async () => {
  await Promise.all(
    targets.map(async (target) => {
      await createTopic(target.topic);
      target.service = new ServiceProcess(target.name, await freePort(), {
        KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
        DATA_DIR: join(target.dbFile, '..'),
        API_KEYS: Object.values(KEYS).join(','),
        ...(target.name === 'user-service'
          ? { USER_EVENTS_TOPIC: target.topic }
          : {
              ORDER_EVENTS_TOPIC: target.topic,
              ORDER_CONSUMER_GROUP: uniqueName('abuse-orders'),
              // Auth and rate limits are under test, with made-up customers: no customer check.
              CUSTOMER_CHECK: 'off',
            }),
        RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
        RATE_LIMIT_WINDOW_MS: String(RATE_LIMIT_WINDOW_MS),
        LOG_LEVEL: 'warn',
        OUTBOX_POLL_INTERVAL_MS: '200',
      });
      await target.service.start({}, 120_000);
    }),
  );
});

afterAll(async () => {
  await Promise.all(targets.map((t) => t.service?.stop()));
});

/** Every accepted resource's id, as the service answered it. */
function idOf(response: JsonResponse): string {
  return (response.body as { id: string }).id;
}

function expectProblem(response: JsonResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status });
}

/**
 * Ways to present a key that is not a valid one, each with the status it must get: 401 when no
 * key is presented, 403 when a key is presented and is not valid. Near misses differ from a
 * valid key by one character, a prefix, a suffix, case or scheme.
 */
function badKeyVariants(
  valid: string,
): { name: string; headers: Record<string, string>; status: number }[] {
  const last = valid.at(-1) as string;
  return [
    { name: 'no key', headers: {}, status: 401 },
    { name: 'an empty X-API-Key', headers: { 'x-api-key': '' }, status: 401 },
    { name: 'a blank X-API-Key', headers: { 'x-api-key': '    ' }, status: 401 },
    {
      name: 'a Basic credential',
      headers: { authorization: `Basic ${Buffer.from(`u:${valid}`).toString('base64')}` },
      status: 401,
    },
    { name: 'a bare Authorization value', headers: { authorization: valid }, status: 401 },
    { name: 'a wrong key', headers: { 'x-api-key': 'wrong-key-0000000000000000' }, status: 403 },
    {
      name: 'the last character changed',
      headers: { 'x-api-key': `${valid.slice(0, -1)}${last === 'x' ? 'y' : 'x'}` },
      status: 403,
    },
    {
      name: 'the first character changed',
      headers: { 'x-api-key': `X${valid.slice(1)}` },
      status: 403,
    },
    { name: 'a prefix', headers: { 'x-api-key': valid.slice(0, -1) }, status: 403 },
    { name: 'an extra character', headers: { 'x-api-key': `${valid}0` }, status: 403 },
    { name: 'upper case', headers: { 'x-api-key': valid.toUpperCase() }, status: 403 },
    { name: 'the key twice', headers: { 'x-api-key': `${valid},${valid}` }, status: 403 },
    {
      name: 'a wrong bearer token',
      headers: { authorization: `Bearer ${valid.slice(0, -1)}` },
      status: 403,
    },
    {
      name: 'a bearer token with a trailing character',
      headers: { authorization: `Bearer ${valid}!` },
      status: 403,
    },
    // X-API-Key wins over Authorization: a valid bearer does not rescue a wrong X-API-Key.
    {
      name: 'a wrong X-API-Key beside a valid bearer',
      headers: { 'x-api-key': `${valid}x`, authorization: `Bearer ${valid}` },
      status: 403,
    },
    { name: 'a key of 4 KiB', headers: { 'x-api-key': 'k'.repeat(4096) }, status: 403 },
    { name: 'a key with SQL in it', headers: { 'x-api-key': "' OR '1'='1" }, status: 403 },
  ];
}

/**
 * One HTTP/1.1 exchange over a raw socket, so the test sees what the server answers even when it
 * closes the connection before reading everything (fetch reports EPIPE then). Writes `head`, then
 * `chunks` one at a time, paced, and stops writing as soon as the server answers. Resolves with the
 * status line (empty if none) once the server closes, or after `timeoutMs`.
 */
function rawExchange(
  port: number,
  head: string,
  chunks: readonly string[] = [],
  timeoutMs = 15_000,
): Promise<{ statusLine: string; bytesSent: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let bytesSent = 0;
    let answered = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statusLine: received.split('\r\n')[0] ?? '', bytesSent });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      received += chunk.toString('latin1');
      // One response is all this test reads.
      if (received.includes('\r\n\r\n')) setTimeout(done, 50);
    });
    socket.on('error', () => {});
    socket.on('close', done);
    socket.on('connect', async () => {
      socket.write(head);
      bytesSent += head.length;
      for (const chunk of chunks) {
        // Paced: the server reads each chunk before the next one arrives, so when it answers
        // and closes, no unread data makes the kernel reset the connection (and drop the answer).
        for (let waited = 0; waited < 300 && !answered; waited += 10)
          await new Promise((r) => setTimeout(r, 10));
        if (answered || socket.destroyed) return;
        socket.write(chunk);
        bytesSent += chunk.length;
      }
    });
  });
}

for (const target of targets) {
  describe(`${target.name} under abuse`, () => {
    it('answers a flood of missing, malformed, wrong and near-miss keys with 401/403 problem+json, stores and publishes nothing of it, and keeps serving the valid key', async () => {
      const variants = badKeyVariants(KEYS.steady);
      const BAD = 340;
      const GOOD = 30;
      // Valid requests spread evenly through the flood.
      const step = (BAD + GOOD) / GOOD;
      const goodAt = new Set(Array.from({ length: GOOD }, (_, k) => Math.floor(k * step)));
      const plan = Array.from({ length: BAD + GOOD }, (_, i) =>
        goodAt.has(i)
          ? ({ kind: 'good' } as const)
          : ({ kind: 'bad', variant: variants[i % variants.length]! } as const),
      );
      const good = plan.filter((p) => p.kind === 'good').length;
      const bad = plan.filter((p) => p.kind === 'bad').length;
      expect(good).toBe(GOOD);

      const rowsBefore = countRows(target.dbFile, target.table);
      const outboxBefore = countRows(target.dbFile, 'outbox');
      const responses = await mapLimit(plan, 40, (step, i) =>
        step.kind === 'good'
          ? call(target.service.baseUrl, 'POST', target.path, {
              body: target.body(i),
              apiKey: KEYS.steady,
            })
          : call(target.service.baseUrl, 'POST', target.path, {
              body: target.body(i),
              apiKey: null,
              headers: step.variant.headers,
            }),
      );

      const accepted: string[] = [];
      const statusCounts = new Map<number, number>();
      responses.forEach((response, i) => {
        const step = plan[i]!;
        statusCounts.set(response.status, (statusCounts.get(response.status) ?? 0) + 1);
        if (step.kind === 'good') {
          expect(response.status, `valid request ${i}`).toBe(target.created);
          accepted.push(idOf(response));
        } else {
          expect(response.status, `${step.variant.name} (request ${i})`).toBe(step.variant.status);
          expectProblem(response, step.variant.status);
          if (step.variant.status === 401)
            expect(response.headers.get('www-authenticate')).toContain('X-API-Key');
          // A refusal never echoes what was presented.
          for (const value of Object.values(step.variant.headers))
            if (value.trim().length > 3) expect(response.text).not.toContain(value);
        }
      });
      const expected401 = plan.filter((p) => p.kind === 'bad' && p.variant.status === 401).length;
      expect(statusCounts.get(401) ?? 0).toBe(expected401);
      expect(statusCounts.get(403) ?? 0).toBe(bad - expected401);
      expect(statusCounts.get(target.created)).toBe(GOOD);
      expect(statusCounts.size).toBe(3);

      // Stored: exactly the valid ones, each readable by id with the valid key, none without.
      expect(countRows(target.dbFile, target.table)).toBe(rowsBefore + GOOD);
      expect(countRows(target.dbFile, 'outbox')).toBe(
        outboxBefore + GOOD * target.outboxRowsPerRequest,
      );
      for (const id of accepted.slice(0, 5)) {
        expect(
          (
            await call(target.service.baseUrl, 'GET', `${target.path}/${id}`, {
              apiKey: KEYS.steady,
            })
          ).status,
        ).toBe(200);
        expectProblem(
          await call(target.service.baseUrl, 'GET', `${target.path}/${id}`, {
            apiKey: `${KEYS.steady}x`,
          }),
          403,
        );
      }
      // Published: exactly the valid ones.
      const records = await readTopic(target.topic, {
        expected: GOOD,
        quietMs: 3_000,
        timeoutMs: 90_000,
      });
      const placed = records.filter((r) =>
        r.eventType.endsWith(target.name === 'user-service' ? 'UserRegistered' : 'OrderPlaced'),
      );
      expect(placed.map((r) => r.key).sort()).toEqual([...accepted].sort());
      expect(records).toHaveLength(GOOD);
    });

    it('gives one key exactly its limit and 429 with Retry-After beyond it, while another key is unaffected and exactly the accepted requests are published', async () => {
      const FLOOD = 100;
      const NEIGHBOUR = 20;
      const rowsBefore = countRows(target.dbFile, target.table);
      const keysBefore = new Set(
        (await readTopic(target.topic, { expected: 0, quietMs: 1_000, timeoutMs: 10_000 })).map(
          (r) => r.key,
        ),
      );
      const recordsBefore = keysBefore.size;
      const plan = [
        ...Array.from({ length: FLOOD }, () => KEYS.flood),
        ...Array.from({ length: NEIGHBOUR }, () => KEYS.neighbour),
      ];
      // Interleave the neighbour's requests through the flood.
      plan.sort((a, b) => (a === b ? 0 : Math.random() - 0.5));
      const responses = await mapLimit(plan, 30, (key, i) =>
        call(target.service.baseUrl, 'POST', target.path, {
          body: target.body(1000 + i),
          apiKey: key,
        }),
      );
      const flood = responses.filter((_, i) => plan[i] === KEYS.flood);
      const neighbour = responses.filter((_, i) => plan[i] === KEYS.neighbour);

      const floodAccepted = flood.filter((r) => r.status === target.created);
      const limited = flood.filter((r) => r.status === 429);
      expect(floodAccepted).toHaveLength(RATE_LIMIT_MAX);
      expect(limited).toHaveLength(FLOOD - RATE_LIMIT_MAX);
      for (const r of limited) {
        expectProblem(r, 429);
        const retryAfter = Number(r.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(RATE_LIMIT_WINDOW_MS / 1000);
      }
      expect(neighbour.map((r) => r.status)).toEqual(
        Array.from({ length: NEIGHBOUR }, () => target.created),
      );

      // Still limited after the flood, still free for the neighbour.
      expectProblem(
        await call(target.service.baseUrl, 'POST', target.path, {
          body: target.body(5000),
          apiKey: KEYS.flood,
        }),
        429,
      );
      const after = await call(target.service.baseUrl, 'POST', target.path, {
        body: target.body(5001),
        apiKey: KEYS.neighbour,
      });
      expect(after.status).toBe(target.created);

      const accepted = [...floodAccepted, ...neighbour, after].map(idOf);
      expect(countRows(target.dbFile, target.table)).toBe(rowsBefore + accepted.length);
      const records = await readTopic(target.topic, {
        expected: recordsBefore + accepted.length,
        quietMs: 3_000,
        timeoutMs: 90_000,
      });
      const published = records.map((r) => r.key).filter((key) => !keysBefore.has(key));
      expect(records).toHaveLength(recordsBefore + accepted.length);
      expect([...published].sort()).toEqual([...accepted].sort());
    });

    it('refuses huge bodies with 413 and huge headers or URLs with 431, and keeps serving', async () => {
      const { service } = target;
      const port = service.port;
      const rowsBefore = countRows(target.dbFile, target.table);

      // Bodies over the 16 KiB limit: a declared 1 MiB body is refused from its Content-Length
      // before any of it is read, eight 4 MiB ones at once too, and a chunked body with no length
      // is cut off once it passes the limit.
      const post = (extra: string) =>
        `POST ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-api-key: ${KEYS.probe}\r\nContent-Type: application/json\r\n${extra}\r\n`;
      const declared = await rawExchange(port, post(`Content-Length: ${1024 * 1024}\r\n`));
      expect(declared.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
      const declaredMany = await Promise.all(
        Array.from({ length: 8 }, () =>
          rawExchange(port, post(`Content-Length: ${4 * 1024 * 1024}\r\n`), ['y'.repeat(1024)]),
        ),
      );
      for (const answer of declaredMany)
        expect(answer.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
      const chunk = 'z'.repeat(16 * 1024);
      const chunked = await rawExchange(
        port,
        post('Transfer-Encoding: chunked\r\n'),
        Array.from({ length: 256 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`),
      );
      expect(chunked.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
      // Refused within a few chunks past the limit, not after reading all 4 MiB.
      expect(chunked.bytesSent).toBeLessThan(256 * 1024);
      // Through a normal client, with the problem+json body.
      const fetched = await call(service.baseUrl, 'POST', target.path, {
        raw: JSON.stringify({ ...(target.body(1) as object), pad: 'x'.repeat(20 * 1024) }),
        apiKey: KEYS.probe,
      });
      expectProblem(fetched, 413);

      // A deeply nested body within the size limit: 400, not a stack overflow.
      const depth = 2_000;
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      expectProblem(
        await call(service.baseUrl, 'POST', target.path, { raw: nested, apiKey: KEYS.probe }),
        400,
      );

      // Headers and request lines over Node's 16 KiB limit: 431 from the HTTP parser.
      const host = `Host: 127.0.0.1:${port}\r\n`;
      const oversize = [
        [
          'one 64 KiB X-API-Key',
          `POST ${target.path} HTTP/1.1\r\n${host}x-api-key: ${'k'.repeat(64 * 1024)}\r\nContent-Length: 0\r\n\r\n`,
        ],
        [
          '1,500 small headers',
          `POST ${target.path} HTTP/1.1\r\n${host}${Array.from({ length: 1500 }, (_, i) => `x-h${i}: ${'v'.repeat(16)}\r\n`).join('')}Content-Length: 0\r\n\r\n`,
        ],
        [
          'a 64 KiB URL',
          `GET ${target.path}/${'a'.repeat(64 * 1024)} HTTP/1.1\r\n${host}x-api-key: ${KEYS.probe}\r\n\r\n`,
        ],
      ] as const;
      for (const [name, head] of oversize) {
        const answer = await rawExchange(port, head);
        expect(answer.statusLine, name).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      }
      // 100 oversize-header requests at once.
      const burst = await Promise.all(
        Array.from({ length: 100 }, () => rawExchange(port, oversize[0][1])),
      );
      expect(burst.filter((a) => a.statusLine.includes(' 431 '))).toHaveLength(100);

      // Alive and serving, nothing stored.
      expect((await call(service.baseUrl, 'GET', '/healthz', { apiKey: null })).status).toBe(200);
      const ok = await call(service.baseUrl, 'POST', target.path, {
        body: target.body(9),
        apiKey: KEYS.probe,
      });
      expect(ok.status).toBe(target.created);
      expect(countRows(target.dbFile, target.table)).toBe(rowsBefore + 1);
      expect(service.logs.join('')).not.toMatch(/"level":"(fatal|error)"/);
    });
  });
}
