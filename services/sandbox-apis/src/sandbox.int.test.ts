// The sandbox APIs over real HTTP: auth, idempotency, faults, the admin API and the effects
// record; then the service process itself (config errors, Jaeger spans, SIGTERM).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { DEFAULT_SANDBOX_API_KEY, createSandbox } from './index';
import type { Sandbox } from './index';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({
    port: 0,
    apiKeys: [DEFAULT_SANDBOX_API_KEY, 'crm=sk_crm_only_key'],
  });
});
afterEach(() => sandbox.state.reset());
afterAll(() => sandbox.close());

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // Answers are read loosely here; their shapes are what the assertions check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(sandbox.url + path, {
    method,
    headers: {
      authorization: `Bearer ${DEFAULT_SANDBOX_API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text ? JSON.parse(text) : undefined,
  };
}

const contact = { email: 'ada@example.com', name: 'Ada' };

describe('sandbox APIs', () => {
  it('refuses a write without an Idempotency-Key (400) and changes nothing', async () => {
    const response = await call('PUT', '/crm/v1/contacts/u-1', contact);
    expect(response.status).toBe(400);
    expect(response.json.error.type).toBe('idempotency_key_required');
    expect((await call('GET', '/crm/v1/contacts/u-1')).status).toBe(404);
  });

  it('answers 401 without a bearer key and 403 for a key not valid for this API', async () => {
    expect((await call('GET', '/email/v1/messages', undefined, { authorization: '' })).status).toBe(
      401,
    );
    expect(
      (await call('GET', '/email/v1/messages', undefined, { authorization: 'Bearer nope' })).status,
    ).toBe(403);
    // An API-scoped key opens its API only.
    expect(
      (
        await call('GET', '/crm/v1/contacts/x', undefined, {
          authorization: 'Bearer sk_crm_only_key',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call('GET', '/email/v1/messages', undefined, {
          authorization: 'Bearer sk_crm_only_key',
        })
      ).status,
    ).toBe(403);
  });

  it('replays the first answer for the same key and body, refuses the key with another body (422)', async () => {
    const key = { 'idempotency-key': 'key-1' };
    const first = await call('PUT', '/crm/v1/contacts/u-2', contact, key);
    const second = await call('PUT', '/crm/v1/contacts/u-2', contact, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const other = await call('PUT', '/crm/v1/contacts/u-2', { ...contact, name: 'Eve' }, key);
    expect(other.status).toBe(422);
    expect(other.json.error.type).toBe('idempotency_error');
    const effects = await call('GET', '/_admin/effects?api=crm');
    expect(effects.json.totals).toMatchObject({ effects: 1, keys: 1, duplicateKeys: 0 });
  });

  it('does not store a refused request: the corrected request may reuse its key', async () => {
    const key = { 'idempotency-key': 'key-2' };
    expect(
      (await call('PUT', '/crm/v1/contacts/u-3', { ...contact, email: 'bad' }, key)).status,
    ).toBe(400);
    expect((await call('PUT', '/crm/v1/contacts/u-3', contact, key)).status).toBe(201);
  });

  it('the CRM refuses an address under .invalid with a 400 that names the field, not the address', async () => {
    const refused = await call(
      'PUT',
      '/crm/v1/contacts/u-4',
      { ...contact, email: 'bob@mail.example.invalid' },
      { 'idempotency-key': 'key-4' },
    );
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ type: 'invalid_request', param: 'email' });
    expect(JSON.stringify(refused.json)).not.toContain('bob@');
    expect((await call('GET', '/crm/v1/contacts/u-4')).status).toBe(404);
  });

  it('the effects record counts a second effect on the same subject under another key', async () => {
    await call(
      'POST',
      '/email/v1/messages',
      { to: 'a@example.com', template: 'welcome', reference: 'u-9' },
      { 'idempotency-key': 'e-1' },
    );
    await call(
      'POST',
      '/email/v1/messages',
      { to: 'a@example.com', template: 'welcome', reference: 'u-9' },
      { 'idempotency-key': 'e-2' },
    );
    const report = (await call('GET', '/_admin/effects?api=email')).json;
    expect(report.totals).toMatchObject({
      effects: 2,
      keys: 2,
      duplicateKeys: 0,
      duplicateSubjects: 1,
    });
    expect(report.duplicateSubjects).toEqual([
      { api: 'email', operation: 'send_message', subject: 'welcome:u-9', effects: 2 },
    ]);
  });

  it('applies a fixed latency set through the admin API, per API', async () => {
    expect(
      (await call('PUT', '/_admin/apis/search/faults', { latency: { type: 'fixed', ms: 150 } }))
        .status,
    ).toBe(200);
    const started = Date.now();
    await call('GET', '/search/v1/documents/none');
    expect(Date.now() - started).toBeGreaterThanOrEqual(148);
    await call('GET', '/crm/v1/contacts/none');
    // Server-side durations: the client's clock would add this machine's scheduling noise.
    const [search] = sandbox.state.requests.list({ api: 'search', limit: 1 });
    const [crm] = sandbox.state.requests.list({ api: 'crm', limit: 1 });
    expect(search!.durationMs).toBeGreaterThanOrEqual(148);
    expect(crm!.durationMs).toBeLessThan(100);
  });

  it('sets the benchmark latencies of several APIs at once', async () => {
    const response = await call('PATCH', '/_admin/faults', {
      email: { latency: { type: 'fixed', ms: 200 } },
      crm: { latency: { type: 'uniform', minMs: 250, maxMs: 350 } },
      analytics: { latency: { type: 'normal', meanMs: 150, stddevMs: 10 } },
    });
    expect(response.status).toBe(200);
    expect(response.json.crm.latency).toEqual({ type: 'uniform', minMs: 250, maxMs: 350 });
  });

  it('an outage answers 503 with Retry-After until cleared', async () => {
    await call('PUT', '/_admin/apis/shipping/faults', { outage: {} });
    const down = await call('GET', '/shipping/v1/shipments?order_id=o');
    expect(down.status).toBe(503);
    await call('PATCH', '/_admin/apis/shipping/faults', { outage: null });
    expect((await call('GET', '/shipping/v1/shipments?order_id=o')).status).toBe(200);
  });

  it('rate limits with 429 and Retry-After, in seconds or as an HTTP date', async () => {
    await call('PUT', '/_admin/apis/email/faults', {
      rateLimit: { requestsPerSecond: 1, retryAfterFormat: 'http-date' },
    });
    expect((await call('GET', '/email/v1/messages')).status).toBe(200);
    const limited = await call('GET', '/email/v1/messages');
    expect(limited.status).toBe(429);
    const until = Date.parse(limited.headers.get('retry-after')!);
    expect(until).toBeGreaterThan(Date.now());
  });

  it('a write that fails after acting is replayed on retry, so it acts once', async () => {
    await call('PUT', '/_admin/apis/payment/faults', { errorRate: 1, errorPhase: 'after' });
    const body = { order_id: 'o-1', customer_id: 'c-1', amount: 1200, currency: 'EUR' };
    const failed = await call('POST', '/payment/v1/authorizations', body, {
      'idempotency-key': 'p-1',
    });
    expect(failed.status).toBe(500);
    await call('DELETE', '/_admin/apis/payment/faults');
    const retried = await call('POST', '/payment/v1/authorizations', body, {
      'idempotency-key': 'p-1',
    });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect((await call('GET', '/payment/v1/authorizations?order_id=o-1')).json.data).toHaveLength(
      1,
    );
  });

  it('declines payments by rule (402) and voids idempotently, a void of nothing being a no-op', async () => {
    await call('PUT', '/_admin/payment/decline-rules', {
      rules: [{ customerId: 'c-bad', declineCode: 'stolen_card' }],
    });
    const declined = await call(
      'POST',
      '/payment/v1/authorizations',
      { order_id: 'o-2', customer_id: 'c-bad', amount: 100, currency: 'EUR' },
      { 'idempotency-key': 'p-2' },
    );
    expect(declined.status).toBe(402);
    expect(declined.json.error).toMatchObject({ type: 'card_error', decline_code: 'stolen_card' });
    const ok = await call(
      'POST',
      '/payment/v1/authorizations',
      { order_id: 'o-3', customer_id: 'c-1', amount: 100, currency: 'EUR' },
      { 'idempotency-key': 'p-3' },
    );
    const voided = await call('POST', `/payment/v1/authorizations/${ok.json.id}/void`, undefined, {
      'idempotency-key': 'v-1',
    });
    expect(voided.json).toMatchObject({ status: 'voided', noop: false });
    const again = await call('POST', `/payment/v1/authorizations/${ok.json.id}/void`, undefined, {
      'idempotency-key': 'v-2',
    });
    expect(again.json).toMatchObject({ status: 'voided', noop: true, reason: 'already_voided' });
    const nothing = await call('POST', '/payment/v1/orders/o-never/void', undefined, {
      'idempotency-key': 'v-3',
    });
    expect(nothing).toMatchObject({ status: 200, json: { voided: [], noop: true } });
    const report = (await call('GET', '/_admin/effects?api=payment')).json;
    expect(report.totals.effects).toBe(2); // one authorization, one void
  });

  it('runs out of stock (409) and a release gives the stock back', async () => {
    await call('PUT', '/_admin/inventory/stock', { stock: { 'sku-1': 3 } });
    const reserve = (order: string, quantity: number, key: string) =>
      call(
        'POST',
        '/inventory/v1/reservations',
        { order_id: order, items: [{ sku: 'sku-1', quantity }] },
        { 'idempotency-key': key },
      );
    expect((await reserve('o-1', 2, 'r-1')).status).toBe(201);
    const short = await reserve('o-2', 2, 'r-2');
    expect(short.status).toBe(409);
    expect(short.json.error).toMatchObject({ type: 'out_of_stock', sku: 'sku-1', available: 1 });
    expect(
      (
        await call('POST', '/inventory/v1/orders/o-1/release', undefined, {
          'idempotency-key': 'rel-1',
        })
      ).json.noop,
    ).toBe(false);
    expect((await call('GET', '/inventory/v1/stock/sku-1')).json.available).toBe(3);
    expect((await reserve('o-2', 2, 'r-3')).status).toBe(201);
  });

  it('cancels shipments idempotently and treats an unknown shipment as a no-op', async () => {
    const created = await call(
      'POST',
      '/shipping/v1/shipments',
      {
        order_id: 'o-5',
        address: { line1: '1 Main St', city: 'Berlin', postal_code: '10115', country: 'DE' },
      },
      { 'idempotency-key': 's-1' },
    );
    expect(created.status).toBe(201);
    expect(
      (
        await call('POST', `/shipping/v1/shipments/${created.json.id}/cancel`, undefined, {
          'idempotency-key': 's-2',
        })
      ).json,
    ).toMatchObject({ status: 'cancelled', noop: false });
    expect(
      (
        await call('POST', '/shipping/v1/shipments/shp_unknown/cancel', undefined, {
          'idempotency-key': 's-3',
        })
      ).json,
    ).toMatchObject({ noop: true, reason: 'not_found' });
  });

  it('moves a CRM deal through stages with a history', async () => {
    await call(
      'PUT',
      '/crm/v1/deals/o-7',
      { stage: 'pending', amount: 4200, currency: 'EUR' },
      { 'idempotency-key': 'd-1' },
    );
    const won = await call(
      'PATCH',
      '/crm/v1/deals/o-7',
      { stage: 'won' },
      { 'idempotency-key': 'd-2' },
    );
    expect(won.json.stage_history.map((h: { stage: string }) => h.stage)).toEqual([
      'pending',
      'won',
    ]);
    expect(
      (
        await call(
          'PATCH',
          '/crm/v1/deals/o-missing',
          { stage: 'won' },
          { 'idempotency-key': 'd-3' },
        )
      ).status,
    ).toBe(404);
  });

  it('refuses a bad admin input with a message naming the field', async () => {
    const response = await call('PUT', '/_admin/apis/email/faults', { errorRate: 2 });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(/^errorRate: /);
    expect((await call('PUT', '/_admin/apis/nope/faults', {})).status).toBe(404);
  });

  it('an answer-after hang delays the answer by the set time', async () => {
    await call('PUT', '/_admin/apis/analytics/faults', { hang: { afterMs: 300 } });
    const started = Date.now();
    const response = await call(
      'POST',
      '/analytics/v1/track',
      { event: 'x', user_id: 'u' },
      { 'idempotency-key': 'h-1' },
    );
    expect(response.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
  });

  it('close() does not wait for requests hung forever', async () => {
    const other = await createSandbox({ port: 0 });
    other.state.setFaults('email', { hang: {} });
    const hung = fetch(`${other.url}/email/v1/messages`, {
      headers: { authorization: `Bearer ${DEFAULT_SANDBOX_API_KEY}` },
    }).catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await hung).toBeDefined();
  });
});

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('sandbox-apis service process', () => {
  it('refuses to start with a bad PORT, naming the variable', async () => {
    const { exited, stderr } = startMain({ PORT: 'not-a-port', OTEL_SDK_DISABLED: 'true' });
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r('timeout'), 30_000)),
    ]);
    expect(code).not.toBe(0);
    expect(stderr()).toContain('PORT');
  });

  it("exports its spans to Jaeger in the caller's trace, and stops cleanly on SIGTERM", async () => {
    const serviceName = uniqueName('sandbox-apis');
    const { otlpHttpUrl, jaegerQueryUrl } = platformEndpoints();
    const { child, exited } = startMain({
      PORT: '0',
      OTEL_SERVICE_NAME: serviceName,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpHttpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      LOG_LEVEL: 'info',
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('sandbox did not log its URL within 30 s')),
          30_000,
        );
        createInterface({ input: child.stdout }).on('line', (line) => {
          try {
            const entry = JSON.parse(line) as { url?: string };
            if (entry.url) {
              clearTimeout(timer);
              resolve(entry.url);
            }
          } catch {
            /* not a log line */
          }
        });
      });
      const traceId = randomBytes(16).toString('hex');
      const response = await fetch(`${url}/email/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${DEFAULT_SANDBOX_API_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': 'trace-1',
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        },
        body: JSON.stringify({ to: 'ada@example.com', template: 'welcome' }),
      });
      expect(response.status).toBe(202);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);

      type JaegerTrace = {
        spans: Array<{ operationName: string; processID: string }>;
        processes: Record<string, { serviceName: string }>;
      };
      let found: JaegerTrace | undefined;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const answer = await fetch(`${jaegerQueryUrl}/api/traces/${traceId}`);
        if (answer.ok) {
          const body = (await answer.json()) as { data?: JaegerTrace[] };
          found = body.data?.[0];
          if (found && found.spans.length > 0) break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(found?.spans.length).toBeGreaterThan(0);
      const services = found!.spans.map((span) => found!.processes[span.processID]?.serviceName);
      expect(new Set(services)).toEqual(new Set([serviceName]));
      expect(found!.spans.map((span) => span.operationName)).toEqual(
        expect.arrayContaining([expect.stringContaining('email POST /v1/messages')]),
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
