// The downstream client (@fanout/downstream) against a real sandbox started in-process on a
// random port: retries, Retry-After, the circuit breaker, idempotency, bulk batching, bad
// answers and credential hygiene, each checked on the wire and in the sandbox's effects record.
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  AnalyticsApi,
  CrmApi,
  DownstreamClient,
  EmailApi,
  InventoryApi,
  PaymentApi,
  SearchApi,
  Secret,
  ShippingApi,
  idempotencyKey,
} from '@fanout/downstream';
import type { CallAttempt, CircuitStateChange, DownstreamClientOptions } from '@fanout/downstream';
import { FanoutError } from '@fanout/errors';
import { DEFAULT_SANDBOX_API_KEY, createSandbox } from './index';
import type { ApiName, Sandbox } from './index';

let sandbox: Sandbox;
const clients: DownstreamClient[] = [];

beforeAll(async () => {
  sandbox = await createSandbox({ port: 0 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  sandbox.state.reset();
});
afterAll(async () => {
  await sandbox.close();
});

function client(api: ApiName, options: Partial<DownstreamClientOptions> = {}): DownstreamClient {
  const created = new DownstreamClient({
    api,
    baseUrl: sandbox.baseUrl(api),
    credential: new Secret(DEFAULT_SANDBOX_API_KEY),
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
    ...options,
  });
  clients.push(created);
  return created;
}

async function rejection(promise: Promise<unknown>): Promise<FanoutError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FanoutError);
    return error as FanoutError;
  }
  throw new Error('expected the call to fail');
}

const welcome = { to: 'ada@example.com', template: 'welcome', reference: 'user-1' };

describe('downstream client against the sandbox', () => {
  it('retries a 5xx outage and succeeds once the API is back, honouring its Retry-After', async () => {
    sandbox.state.setFaults('email', { outage: { status: 503, retryAfterSeconds: 1 } });
    const attempts: CallAttempt[] = [];
    const email = new EmailApi(
      client('email', {
        onAttempt: (a) => {
          attempts.push(a);
          // The API comes back right after refusing the first attempt.
          if (a.outcome === 'retry') sandbox.state.setFaults('email', { outage: null });
        },
      }),
    );
    const started = Date.now();
    const result = await email.sendMessage(welcome, idempotencyKey('evt-1', 'email.welcome'));
    expect(result.status).toBe(202);
    expect(result.attempts).toBe(2);
    // The sandbox said Retry-After: 1; the client waited at least that long.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(attempts.map((a) => a.outcome)).toEqual([
      ...Array(result.attempts - 1).fill('retry'),
      'success',
    ]);
    expect(attempts[0]).toMatchObject({
      api: 'email',
      operation: 'sendMessage',
      status: 503,
      attempt: 1,
      errorCode: 'FANOUT_API_SERVER_ERROR',
    });
    expect(sandbox.state.effects.report({ api: 'email', limit: 10 }).totals).toMatchObject({
      effects: 1,
      duplicateKeys: 0,
    });
  });

  it('a 5xx after the API acted is retried with the same key, and the first answer is replayed: one effect', async () => {
    sandbox.state.setFaults('crm', { errorRate: 1, errorPhase: 'after' });
    const crm = new CrmApi(
      client('crm', {
        // The API recovers right after the first attempt failed.
        onAttempt: (a) => a.outcome === 'retry' && sandbox.state.clearFaults('crm'),
      }),
    );
    const key = idempotencyKey('evt-2', 'crm.upsertContact');
    const result = await crm.upsertContact(
      'user-2',
      { email: 'grace@example.com', name: 'Grace' },
      key,
    );
    expect(result).toMatchObject({ status: 201, attempts: 2, replayed: true });
    const report = sandbox.state.effects.report({ api: 'crm', limit: 10 });
    expect(report.totals).toMatchObject({ effects: 1, keys: 1, duplicateKeys: 0 });
    expect(report.keys[0]).toMatchObject({ idempotencyKey: key, effects: 1 });
  });

  it('under random failures after the API acted, every write completes with exactly one effect', async () => {
    sandbox.state.setFaults('shipping', { errorRate: 0.5, errorPhase: 'after' });
    const shipping = new ShippingApi(
      client('shipping', {
        retry: { maxAttempts: 15, baseDelayMs: 5, maxDelayMs: 20 },
        circuitBreaker: false,
      }),
    );
    const address = { line1: '1 Main St', city: 'Berlin', postal_code: '10115', country: 'DE' };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        shipping.createShipment(
          { order_id: `order-${i}`, address },
          idempotencyKey(`evt-14-${i}`, 'shipping.create'),
        ),
      ),
    );
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    const report = sandbox.state.effects.report({ api: 'shipping', limit: 100 });
    expect(report.totals).toMatchObject({
      effects: 40,
      keys: 40,
      duplicateKeys: 0,
      duplicateSubjects: 0,
    });
  });

  it('a permanent 4xx is not retried and carries the status and the API answer', async () => {
    const attempts: CallAttempt[] = [];
    const email = new EmailApi(client('email', { onAttempt: (a) => attempts.push(a) }));
    const error = await rejection(
      email.sendMessage(
        { ...welcome, to: 'not-an-email' },
        idempotencyKey('evt-3', 'email.welcome'),
      ),
    );
    expect(error).toMatchObject({ code: 'FANOUT_API_CLIENT_ERROR', retriable: false });
    expect(error.details).toMatchObject({
      api: 'email',
      operation: 'sendMessage',
      status: 400,
      attempts: 1,
    });
    expect(String(error.details.response)).toContain('format');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'failed', status: 400 });
  });

  it('the same idempotency key twice produces one effect; the second call is a replay', async () => {
    const email = new EmailApi(client('email'));
    const key = idempotencyKey('evt-4', 'email.welcome');
    const first = await email.sendMessage(welcome, key);
    const second = await email.sendMessage(welcome, key);
    expect(second.data.id).toBe(first.data.id);
    expect([first.replayed, second.replayed]).toEqual([false, true]);
    expect(sandbox.state.effects.report({ api: 'email', limit: 10 }).totals).toMatchObject({
      effects: 1,
      duplicateKeys: 0,
    });
    // The same key for a different request is the caller's bug: refused, never retried.
    const error = await rejection(email.sendMessage({ ...welcome, template: 'goodbye' }, key));
    expect(error).toMatchObject({ code: 'FANOUT_API_CLIENT_ERROR', details: { status: 422 } });
  });

  it('a 429 storm: no request goes out while the API said to wait, and every call completes', async () => {
    sandbox.state.setFaults('search', {
      rateLimit: { requestsPerSecond: 10, burst: 5, retryAfterSeconds: 1 },
    });
    const attempts: CallAttempt[] = [];
    const search = new SearchApi(
      client('search', {
        retry: { maxAttempts: 12, baseDelayMs: 20, maxElapsedMs: 30_000 },
        onAttempt: (a) => attempts.push(a),
      }),
    );
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        search.upsertDocument(`doc-${i}`, { n: i }, idempotencyKey(`evt-5-${i}`, 'search.upsert')),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const limited = attempts.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // Requests already in flight when a 429 arrives are fine; none may start inside its window.
    for (const refusal of limited) {
      const learnedAt = refusal.startedAt + refusal.latencyMs;
      const early = attempts.filter(
        (a) => a.startedAt > learnedAt + 50 && a.startedAt < learnedAt + 1_000,
      );
      expect(early.map((a) => a.startedAt - learnedAt)).toEqual([]);
    }
    expect(sandbox.state.effects.report({ api: 'search', limit: 100 }).totals).toMatchObject({
      effects: 30,
      duplicateKeys: 0,
    });
  });

  it('a local rate limit matching the API keeps a burst of calls clear of 429s', async () => {
    // The client keeps a margin below the API's limit: timer and event-loop jitter on either side.
    sandbox.state.setFaults('analytics', { rateLimit: { requestsPerSecond: 20, burst: 2 } });
    const analytics = new AnalyticsApi(
      client('analytics', { rateLimit: { ratePerSecond: 15, burst: 1 } }),
    );
    const since = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        analytics.track(
          { event: 'signed_up', user_id: `u-${i}` },
          idempotencyKey(`evt-6-${i}`, 'analytics.track'),
        ),
      ),
    );
    const elapsed = Date.now() - since;
    expect(elapsed).toBeGreaterThanOrEqual(19 * (1_000 / 15) - 50);
    const statuses = sandbox.state.requests
      .list({ api: 'analytics', since, limit: 1_000 })
      .map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
  });

  it('an outage opens the circuit (calls fail fast, nothing sent), and a half-open probe closes it after recovery', async () => {
    sandbox.state.setFaults('payment', { outage: {} });
    const changes: CircuitStateChange[] = [];
    const raw = client('payment', {
      retry: { maxAttempts: 1 },
      circuitBreaker: { consecutiveFailures: 3, openDurationMs: 400 },
    });
    raw.onCircuitChange((change) => changes.push(change));
    const payment = new PaymentApi(raw);
    const authorize = (n: number) =>
      payment.authorize(
        { order_id: `order-${n}`, customer_id: 'c-1', amount: 1_000, currency: 'EUR' },
        idempotencyKey(`evt-7-${n}`, 'payment.authorize'),
      );
    for (let n = 0; n < 3; n += 1) {
      expect(await rejection(authorize(n))).toMatchObject({
        code: 'FANOUT_API_SERVER_ERROR',
        retriable: true,
      });
    }
    expect(raw.breaker?.state).toBe('open');
    const sent = sandbox.state.requests.list({ api: 'payment', limit: 100 }).length;
    const started = Date.now();
    expect(await rejection(authorize(3))).toMatchObject({
      code: 'FANOUT_API_CIRCUIT_OPEN',
      retriable: true,
    });
    expect(Date.now() - started).toBeLessThan(200);
    expect(sandbox.state.requests.list({ api: 'payment', limit: 100 })).toHaveLength(sent);

    sandbox.state.clearFaults('payment');
    const deadline = Date.now() + 5_000;
    while (raw.breaker?.state !== 'half_open' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(raw.breaker?.state).toBe('half_open');
    const probe = await authorize(4);
    expect(probe.data).toMatchObject({ outcome: 'authorized' });
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->closed',
    ]);
  });

  it('bulk batching keeps every item its own result, and a redelivered item is replayed, not repeated', async () => {
    const analytics = new AnalyticsApi(client('analytics'));
    const batcher = analytics.trackBatcher({ maxSize: 10, lingerMs: 20 });
    const since = Date.now();
    const items = Array.from({ length: 25 }, (_, i) => ({
      // Items 7 and 19 are invalid (no user): they alone must fail.
      input:
        i === 7 || i === 19
          ? { event: 'order_confirmed' }
          : { event: 'order_confirmed', user_id: `u-${i}` },
      idempotencyKey: idempotencyKey(`evt-8-${i}`, 'analytics.track'),
    }));
    const settled = await Promise.allSettled(items.map((item) => batcher.add(item)));
    const rejected = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    expect(rejected).toEqual([7, 19]);
    expect((settled[7] as PromiseRejectedResult).reason).toMatchObject({
      code: 'FANOUT_API_CLIENT_ERROR',
      retriable: false,
      details: { status: 400 },
    });
    const ids = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.id] : []));
    expect(new Set(ids).size).toBe(23);
    expect(
      sandbox.state.requests.list({ api: 'analytics', since, limit: 100 }).map((r) => r.path),
    ).toEqual(Array(3).fill('/analytics/v1/batch'));

    // Redelivery of three events, batched differently: replayed per item, no new effect.
    const again = await Promise.all(
      [items[0]!, items[12]!, items[24]!].map((item) => batcher.add(item)),
    );
    expect(again.map((r) => r.replayed)).toEqual([true, true, true]);
    expect(again[0]!.id).toBe(ids[0]);
    await batcher.close();
    expect(sandbox.state.effects.report({ api: 'analytics', limit: 100 }).totals).toMatchObject({
      effects: 23,
      keys: 23,
      duplicateKeys: 0,
    });
  });

  it('search bulk maps upserts and deletes back to their callers', async () => {
    const search = new SearchApi(client('search'));
    const batcher = search.bulkBatcher({ maxSize: 50, lingerMs: 10 });
    const results = await Promise.all([
      batcher.add({
        operation: { action: 'upsert', id: 'user-1', document: { name: 'Ada' } },
        idempotencyKey: 'k-1',
      }),
      batcher.add({ operation: { action: 'delete', id: 'user-404' }, idempotencyKey: 'k-2' }),
      batcher.add({
        operation: { action: 'upsert', id: 'user-1', document: { name: 'Ada L.' } },
        idempotencyKey: 'k-3',
      }),
    ]);
    expect(results.map((r) => r.result)).toEqual(['created', 'not_found', 'updated']);
    await batcher.close();
  });

  it('a non-JSON answer or one missing fields is a non-retriable bad response', async () => {
    const email = new EmailApi(client('email'));
    sandbox.state.setFaults('email', { badResponse: { kind: 'non_json' } });
    const html = await rejection(
      email.sendMessage(welcome, idempotencyKey('evt-9', 'email.welcome')),
    );
    expect(html).toMatchObject({
      code: 'FANOUT_API_BAD_RESPONSE',
      retriable: false,
      details: { status: 200, attempts: 1 },
    });
    expect(html.message).toContain('not JSON');
    sandbox.state.setFaults('email', { badResponse: { kind: 'missing_fields' } });
    const empty = await rejection(
      email.sendMessage(welcome, idempotencyKey('evt-10', 'email.welcome')),
    );
    expect(empty).toMatchObject({ code: 'FANOUT_API_BAD_RESPONSE', retriable: false });
    expect(empty.details.issues).toEqual(expect.arrayContaining([expect.stringContaining('id')]));
  });

  it('a hung API times out as a retriable error within the headers timeout per attempt', async () => {
    sandbox.state.setFaults('crm', { hang: {} });
    const crm = new CrmApi(
      client('crm', { timeouts: { headersMs: 200 }, retry: { maxAttempts: 2, baseDelayMs: 10 } }),
    );
    const started = Date.now();
    const error = await rejection(
      crm.upsertDeal('order-1', { stage: 'won' }, idempotencyKey('evt-11', 'crm.deal')),
    );
    expect(error).toMatchObject({
      code: 'FANOUT_API_TIMEOUT',
      retriable: true,
      details: { attempts: 2 },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('an unreachable API is a retriable network error', async () => {
    const down = new DownstreamClient({
      api: 'email',
      baseUrl: 'http://127.0.0.1:9/email',
      retry: { maxAttempts: 2, baseDelayMs: 5 },
    });
    clients.push(down);
    const error = await rejection(new EmailApi(down).sendMessage(welcome, 'k'));
    expect(error).toMatchObject({
      code: 'FANOUT_API_NETWORK',
      retriable: true,
      details: { attempts: 2 },
    });
  });

  it('business refusals are outcomes, not errors: a decline and an out-of-stock, and compensations of nothing are no-ops', async () => {
    sandbox.state.declineRules = [{ amountGte: 50_000, declineCode: 'insufficient_funds' }];
    sandbox.state.stock.set('sku-1', 1);
    const payment = new PaymentApi(client('payment'));
    const inventory = new InventoryApi(client('inventory'));
    const declined = await payment.authorize(
      { order_id: 'o-1', customer_id: 'c-1', amount: 99_000, currency: 'EUR' },
      'pay-1',
    );
    expect(declined.data).toMatchObject({ outcome: 'declined', declineCode: 'insufficient_funds' });
    const replay = await payment.authorize(
      { order_id: 'o-1', customer_id: 'c-1', amount: 99_000, currency: 'EUR' },
      'pay-1',
    );
    expect(replay).toMatchObject({ replayed: true, data: { outcome: 'declined' } });
    const short = await inventory.reserve(
      { order_id: 'o-1', items: [{ sku: 'sku-1', quantity: 2 }] },
      'inv-1',
    );
    expect(short.data).toEqual({
      outcome: 'out_of_stock',
      sku: 'sku-1',
      requested: 2,
      available: 1,
    });
    expect((await inventory.releaseOrder('o-never', 'rel-1')).data).toMatchObject({ noop: true });
    expect((await payment.void('auth_unknown', 'void-1')).data).toMatchObject({
      noop: true,
      reason: 'not_found',
    });
    expect(sandbox.state.effects.report({ limit: 10 }).totals.effects).toBe(0);
  });

  it('the call ledger gets every attempt with the trace id, and a failing ledger never fails the call', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    try {
      sandbox.state.setFaults('email', { outage: { durationMs: 200, retryAfterSeconds: 0 } });
      const recorded: CallAttempt[] = [];
      const email = new EmailApi(
        client('email', {
          ledger: { record: async (attempt) => void recorded.push(attempt) },
          onAttempt: () => {
            throw new Error('hook bug');
          },
          retry: { maxAttempts: 20, baseDelayMs: 50, maxDelayMs: 100 },
          circuitBreaker: false,
        }),
      );
      const key = idempotencyKey('evt-13', 'email.welcome');
      const result = await email.sendMessage(welcome, key);
      expect(result.status).toBe(202);
      expect(recorded.length).toBe(result.attempts);
      expect(recorded.length).toBeGreaterThan(1);
      const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'email sendMessage');
      expect(span?.attributes['fanout.api.attempts']).toBe(result.attempts);
      for (const [index, attempt] of recorded.entries()) {
        expect(attempt).toMatchObject({
          api: 'email',
          operation: 'sendMessage',
          idempotencyKey: key,
          attempt: index + 1,
          traceId: span?.spanContext().traceId,
        });
        expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
      }
      expect(recorded.at(-1)).toMatchObject({ outcome: 'success', status: 202 });
      expect(recorded[0]).toMatchObject({ outcome: 'retry', status: 503 });
    } finally {
      await provider.shutdown();
      trace.disable();
    }
  });

  it('credentials never appear in thrown errors, attempt records or span attributes', async () => {
    const secret = 'sk_live_wrong_but_very_secret_0123456789';
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    try {
      const attempts: CallAttempt[] = [];
      const email = new EmailApi(
        client('email', { credential: new Secret(secret), onAttempt: (a) => attempts.push(a) }),
      );
      // The sandbox's 403 echoes the presented key, as careless real APIs do.
      const error = await rejection(
        email.sendMessage(welcome, idempotencyKey('evt-12', 'email.welcome')),
      );
      expect(error).toMatchObject({ code: 'FANOUT_API_CLIENT_ERROR', details: { status: 403 } });
      expect(String(error.details.response)).toContain('[REDACTED]');
      const views = [
        error.message,
        String(error.stack),
        JSON.stringify(error),
        JSON.stringify(error.details),
        inspect(error, { depth: 10, showHidden: true }),
        JSON.stringify(attempts),
        inspect(email, { depth: 6 }),
      ];
      for (const view of views) expect(view).not.toContain(secret);
      const spans = exporter.getFinishedSpans();
      expect(spans.length).toBeGreaterThan(0);
      expect(
        JSON.stringify(
          spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
        ),
      ).not.toContain(secret);
    } finally {
      await provider.shutdown();
      trace.disable();
    }
  });
});
