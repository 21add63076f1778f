import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { eventually, httpJson, startSystem } from './system-under-test';
import type { SystemUnderTest } from './system-under-test';
import {
  ancestors,
  endOf,
  findTraceIds,
  getTrace,
  parentOf,
  roots,
  serviceOf,
  tag,
} from './jaeger-query';
import type { Trace } from './jaeger-query';
import { readDeadLetters } from '../chaos/dead-letters';
// scripts/ is the root's own tooling (run by `npm start`), not a workspace package to import by name.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { sendDemoTraffic } from '../../scripts/lib/demo-traffic.mjs';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { DemoService } from '../../scripts/lib/demo-traffic.mjs';

const FAN_OUT = ['email', 'crm', 'analytics', 'search'] as const;

/** The real `fanout` bin, as a process, against the platform under test. */
function fanout(...args: string[]) {
  const endpoints = platformEndpoints();
  return spawnSync(
    process.execPath,
    [fileURLToPath(new URL('../../tools/cli/bin/fanout.mjs', import.meta.url)), ...args],
    {
      env: {
        ...process.env,
        JAEGER_QUERY_URL: endpoints.jaegerQueryUrl,
        KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

/**
 * The whole system, started as `npm start` starts it, driven through its HTTP APIs and read
 * back through Jaeger's query API and the `fanout` CLI. A service that does not exist yet makes
 * the tests that need it fail, naming it: nothing here passes without the real services.
 */
describe('Fanout end to end', () => {
  let system: SystemUnderTest;

  const requireServices = (...names: string[]) => {
    const missing = names.filter((n) => system.absent.includes(n));
    expect(missing, `services not written yet: ${missing.join(', ')}`).toEqual([]);
  };

  const sandbox = (path: string) => system.url('sandbox-apis', path);

  /** Waits until the trace holding the aggregate's spans from `service` satisfies `complete`. */
  async function traceOf(
    service: string,
    key: string,
    complete: (t: Trace) => boolean,
    what: string,
  ) {
    return eventually(
      what,
      async () => {
        for (const id of await findTraceIds(service, { 'messaging.kafka.message.key': key })) {
          const t = await getTrace(id);
          if (t && complete(t)) return t;
        }
        return undefined;
      },
      150_000,
      2_000,
    );
  }

  const named = (t: Trace, name: string | RegExp) =>
    t.spans.filter((s) =>
      typeof name === 'string' ? s.operationName === name : name.test(s.operationName),
    );
  const sandboxSpans = (t: Trace, api: string) =>
    t.spans.filter((s) => serviceOf(t, s) === 'sandbox-apis' && tag(s, 'sandbox.api') === api);

  /**
   * A registered user as the customer, so the fan-out of the order's outcome (e.g. the email
   * consumer, which learns addresses from registrations) has someone to write to.
   */
  async function registerCustomer(): Promise<string> {
    const created = await httpJson<{ id: string }>('POST', system.url('user-service', '/users'), {
      email: `${uniqueName('customer')}@example.com`,
      name: 'Grace Hopper',
      marketingConsent: false,
      locale: 'en-GB',
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  function placeOrder(customerId: string) {
    return httpJson<{ id: string; status: string }>(
      'POST',
      system.url('order-service', '/orders'),
      {
        customerId,
        items: [{ sku: 'BOOK-E2E', quantity: 1, unitPrice: 12.5 }],
        currency: 'EUR',
        shippingAddress: {
          recipientName: 'Ada Lovelace',
          line1: '1 Test Street',
          city: 'Berlin',
          postalCode: '10115',
          country: 'DE',
        },
      },
    );
  }

  async function settledOrder(id: string) {
    return eventually(`order ${id} to leave PENDING`, async () => {
      const r = await httpJson<{
        status: string;
        customerId: string;
        cancellationReason: { code: string; message: string; failedStep: string | null } | null;
      }>('GET', system.url('order-service', `/orders/${id}`));
      return r.status === 200 && r.body.status !== 'PENDING' ? r.body : undefined;
    });
  }

  beforeAll(async () => {
    system = await startSystem();
    if (system.absent.length > 0)
      console.warn(`[e2e] services not written yet: ${system.absent.join(', ')}`);
  }, 900_000);

  afterAll(async () => {
    await system?.stop();
  }, 120_000);

  it('a registration is one trace from user-service through the four consumers to the four sandbox APIs', async () => {
    requireServices('user-service', 'sandbox-apis', ...FAN_OUT.map((api) => `${api}-consumer`));
    const email = `${uniqueName('ada')}@example.com`;
    const created = await httpJson<{ id: string }>('POST', system.url('user-service', '/users'), {
      email,
      name: 'Ada Lovelace',
      marketingConsent: true,
      locale: 'en-GB',
    });
    expect(created.status).toBe(201);
    const userId = created.body.id;

    const t = await traceOf(
      'user-service',
      userId,
      // Spans arrive in batches per process: wait until every part this test checks is in.
      (t) =>
        FAN_OUT.every(
          (api) =>
            sandboxSpans(t, api).length > 0 &&
            t.spans.some(
              (s) =>
                serviceOf(t, s) === `${api}-consumer` &&
                s.operationName === 'process fanout.user.events',
            ),
        ),
      `one trace of user ${userId} reaching the four sandbox APIs`,
    );
    const services = new Set(t.spans.map((s) => serviceOf(t, s)));
    for (const s of ['user-service', 'sandbox-apis', ...FAN_OUT.map((api) => `${api}-consumer`)])
      expect(services, `spans of ${s}`).toContain(s);

    // One root, the HTTP request to user-service; every other span's parent is in the trace.
    const [root, ...others] = roots(t);
    expect(others.map((s) => `${serviceOf(t, s)} ${s.operationName}`)).toEqual([]);
    expect(serviceOf(t, root!)).toBe('user-service');
    expect(tag(root!, 'http.request.method') ?? tag(root!, 'http.method')).toBe('POST');

    for (const api of FAN_OUT) {
      // Each consumer's processing is a child of user-service's publish...
      const process = named(t, 'process fanout.user.events').filter(
        (s) => serviceOf(t, s) === `${api}-consumer`,
      );
      expect(process, `${api}-consumer process span`).toHaveLength(1);
      expect(serviceOf(t, parentOf(t, process[0]!)!)).toBe('user-service');
      expect(parentOf(t, process[0]!)!.operationName).toMatch(
        /^(send|create) fanout\.user\.events$/,
      );
      // ...each API accepted the call (a 403 or 5xx would also leave a span)...
      expect(
        sandboxSpans(t, api)
          .map((s) => Number(tag(s, 'http.response.status_code')))
          .filter((c) => c >= 200 && c < 300),
        `${api} API answered 2xx`,
      ).not.toHaveLength(0);
      // ...and each sandbox API call descends from its own consumer's processing.
      for (const call of sandboxSpans(t, api)) {
        const chain = ancestors(t, call);
        expect(
          chain.map((s) => s.spanID),
          `${api} API call under ${api}-consumer`,
        ).toContain(process[0]!.spanID);
      }
    }

    // `fanout trace <userId>` finds this trace by the user id (the Kafka key on the spans).
    const cli = fanout('--json', 'trace', userId);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const found = JSON.parse(cli.stdout) as Array<{ traceId: string; spans: unknown[] }>;
    expect(found.map((f) => f.traceId)).toContain(t.traceID);
  });

  it('a declined payment cancels the order in one trace with the compensation and OrderCancelled, and GET shows the reason', async () => {
    requireServices(
      'user-service',
      'order-service',
      'saga-coordinator',
      'sandbox-apis',
      'inventory-consumer',
      'payment-consumer',
    );
    const customerId = await registerCustomer();
    const rules = await httpJson('PUT', sandbox('/_admin/payment/decline-rules'), {
      rules: [{ customerId, declineCode: 'insufficient_funds' }],
    });
    expect(rules.status).toBe(200);
    const placed = await placeOrder(customerId);
    expect(placed.status).toBe(202);
    expect(placed.body.status).toBe('PENDING');
    const orderId = placed.body.id;

    const order = await settledOrder(orderId);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellationReason).toMatchObject({
      code: 'PAYMENT_DECLINED',
      failedStep: 'authorize-payment',
    });
    expect(order.cancellationReason!.message.length).toBeGreaterThan(0);

    const expected = [
      'order-service',
      'saga-coordinator',
      'inventory-consumer',
      'payment-consumer',
      'sandbox-apis',
    ];
    const t = await traceOf(
      'order-service',
      orderId,
      // Each process exports its spans in its own batches: wait for every service checked below.
      (t) =>
        expected.every((name) => t.spans.some((s) => serviceOf(t, s) === name)) &&
        named(t, 'saga order OrderCancelled').length > 0 &&
        named(t, 'saga order compensate reserve-inventory').length > 0 &&
        sandboxSpans(t, 'payment').some((s) => tag(s, 'http.response.status_code') === 402) &&
        t.spans.some(
          (s) =>
            serviceOf(t, s) === 'sandbox-apis' &&
            /^POST \/inventory\/v1\/.*release/.test(s.operationName),
        ) &&
        t.spans.some(
          (s) =>
            serviceOf(t, s) === 'order-service' &&
            /^process fanout\.order\.events/.test(s.operationName),
        ),
      `one trace of order ${orderId} with the compensation and OrderCancelled`,
    );
    const services = new Set(t.spans.map((s) => serviceOf(t, s)));
    for (const s of expected) expect(services, `spans of ${s}`).toContain(s);
    // The declined authorization, the release of the reserved stock, and no shipment.
    expect(
      sandboxSpans(t, 'payment').some((s) => tag(s, 'http.response.status_code') === 402),
    ).toBe(true);
    expect(
      t.spans.some(
        (s) =>
          serviceOf(t, s) === 'sandbox-apis' &&
          /^POST \/inventory\/v1\/.*release/.test(s.operationName),
      ),
    ).toBe(true);
    expect(services).not.toContain('shipping-consumer');
    // The compensation happens after the decline; the cancellation after the compensation is sent.
    const compensate = named(t, 'saga order compensate reserve-inventory')[0]!;
    const cancelled = named(t, 'saga order OrderCancelled')[0]!;
    const decline = sandboxSpans(t, 'payment').find(
      (s) => tag(s, 'http.response.status_code') === 402,
    )!;
    expect(compensate.startTime).toBeGreaterThanOrEqual(endOf(decline) - 1_000);
    expect(cancelled.startTime).toBeGreaterThanOrEqual(compensate.startTime);
    expect(roots(t).map((s) => `${serviceOf(t, s)} ${s.operationName}`)).toHaveLength(1);
  });

  it('a happy order reaches CONFIRMED and its trace shows the inventory and payment steps overlapping in time', async () => {
    requireServices(
      'user-service',
      'order-service',
      'saga-coordinator',
      'sandbox-apis',
      'inventory-consumer',
      'payment-consumer',
      'shipping-consumer',
    );
    // Each of the two parallel steps takes at least 1.5 s at its API: run one after the other,
    // they could not overlap.
    for (const api of ['inventory', 'payment'])
      expect(
        (
          await httpJson('PUT', sandbox(`/_admin/apis/${api}/faults`), {
            latency: { type: 'fixed', ms: 1_500 },
          })
        ).status,
      ).toBe(200);
    try {
      const placed = await placeOrder(await registerCustomer());
      expect(placed.status).toBe(202);
      const orderId = placed.body.id;
      const order = await settledOrder(orderId);
      expect(order.status).toBe('CONFIRMED');
      expect(order.cancellationReason).toBeNull();

      const t = await traceOf(
        'order-service',
        orderId,
        (t) =>
          named(t, 'saga order OrderConfirmed').length > 0 &&
          ['inventory', 'payment', 'shipping'].every((p) =>
            t.spans.some(
              (s) =>
                serviceOf(t, s) === `${p}-consumer` &&
                /^process fanout\.\w+\.commands$/.test(s.operationName),
            ),
          ),
        `one trace of order ${orderId} through confirmation`,
      );
      const processOf = (service: string) => {
        const spans = t.spans.filter(
          (s) =>
            serviceOf(t, s) === service && /^process fanout\.\w+\.commands$/.test(s.operationName),
        );
        expect(spans, `${service} process span`).toHaveLength(1);
        return spans[0]!;
      };
      const inventory = processOf('inventory-consumer');
      const payment = processOf('payment-consumer');
      const shipping = processOf('shipping-consumer');
      // Overlap: each started before the other ended.
      expect(inventory.startTime).toBeLessThan(endOf(payment));
      expect(payment.startTime).toBeLessThan(endOf(inventory));
      // The shipment waits for both.
      expect(shipping.startTime).toBeGreaterThanOrEqual(Math.max(endOf(inventory), endOf(payment)));
    } finally {
      for (const api of ['inventory', 'payment'])
        await httpJson('DELETE', sandbox(`/_admin/apis/${api}/faults`));
    }
  });

  it('`fanout trace <orderId>` and `fanout saga <orderId>` show the real cancelled order: waterfall and saga timeline', async () => {
    requireServices(
      'user-service',
      'order-service',
      'saga-coordinator',
      'sandbox-apis',
      'inventory-consumer',
      'payment-consumer',
    );
    const customerId = await registerCustomer();
    await httpJson('PUT', sandbox('/_admin/payment/decline-rules'), { rules: [{ customerId }] });
    const placed = await placeOrder(customerId);
    const orderId = placed.body.id;
    expect((await settledOrder(orderId)).status).toBe('CANCELLED');
    await traceOf(
      'order-service',
      orderId,
      (t) => named(t, 'saga order OrderCancelled').length > 0,
      'the cancelled order trace',
    );
    const cli = fanout('trace', orderId);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    console.log(`[e2e] npx fanout trace ${orderId}\n${cli.stdout}`);
    const lines = cli.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^trace [0-9a-f]{32} · \d+ spans · \d+ services · /);
    for (const expected of [
      /^order-service +POST/,
      /saga order step reserve-inventory/,
      /saga order compensate reserve-inventory/,
      /saga order OrderCancelled/,
    ])
      expect(
        lines.some((l) => expected.test(l)),
        String(expected),
      ).toBe(true);

    const saga = fanout('--json', 'saga', orderId);
    expect(saga.stderr).toBe('');
    expect(saga.status).toBe(0);
    const timeline = JSON.parse(saga.stdout) as {
      status: string;
      failure: { code: string };
      steps: Array<{ name: string; status: string }>;
      entries: Array<{ kind: string; what: string }>;
    };
    expect(timeline).toMatchObject({ status: 'cancelled', failure: { code: 'PAYMENT_DECLINED' } });
    expect(timeline.steps.map((s) => [s.name, s.status])).toEqual([
      ['reserve-inventory', 'compensated'],
      ['authorize-payment', 'failed'],
      ['create-shipment', 'pending'],
    ]);
    expect(timeline.entries.map((e) => e.what)).toEqual(
      expect.arrayContaining([
        'payment.PaymentDeclined on fanout.saga.replies',
        'inventory.ReleaseInventory on fanout.inventory.commands',
      ]),
    );
    expect(timeline.entries.at(-1)?.kind).toBe('outcome');
  });

  it("npm start's demo traffic reaches every API it should, and no demo event is in any dead-letter topic", async () => {
    requireServices(
      'user-service',
      'order-service',
      'saga-coordinator',
      ...[...FAN_OUT, 'inventory', 'payment', 'shipping'].map((api) => `${api}-consumer`),
    );
    // An earlier test's decline rule must not decide the demo order.
    await httpJson('PUT', sandbox('/_admin/payment/decline-rules'), { rules: [] });
    const demoService = (service: string): DemoService => ({
      ready: async () => (await fetch(system.url(service, '/readyz'))).ok,
      post: async (path, body) => {
        const r = await httpJson('POST', system.url(service, path), body);
        return { status: r.status, body: r.body };
      },
    });
    const { customers, order } = await sendDemoTraffic({
      userService: demoService('user-service'),
      orderService: demoService('order-service'),
      log: () => undefined,
      stamp: uniqueName('demo'),
    });
    expect(customers).toHaveLength(3);
    expect(order, 'the demo order was accepted').toBeDefined();

    // Every API that owes the demo an effect has one whose subject names the aggregate (analytics
    // names the user: its subject is `<event>:<userId>:<timestamp>`).
    const placed = await settledOrder(order!.id);
    expect(placed.status).toBe('CONFIRMED');
    const owed = [
      ...customers.flatMap((c) => FAN_OUT.map((api) => ({ api, what: c.id, names: [c.id] }))),
      ...[...FAN_OUT, 'inventory', 'payment', 'shipping'].map((api) => ({
        api,
        what: order!.id,
        names: api === 'analytics' ? ['Order Completed:', placed.customerId] : [order!.id],
      })),
    ];
    const missing = await eventually(
      'every demo effect',
      async () => {
        const subjects = new Map<string, string[]>();
        for (const api of new Set(owed.map((o) => o.api))) {
          const r = await httpJson<{ keys: Array<{ subjects: string[] }> }>(
            'GET',
            sandbox(`/_admin/effects?api=${api}&limit=10000`),
          );
          subjects.set(
            api,
            r.body.keys.flatMap((k) => k.subjects),
          );
        }
        const left = owed.filter(
          (o) =>
            !(subjects.get(o.api) ?? []).some((subject) =>
              o.names.every((name) => subject.includes(name)),
            ),
        );
        if (left.length > 0)
          throw new Error(`missing: ${left.map((o) => `${o.api} for ${o.what}`).join(', ')}`);
        return left;
      },
      120_000,
      1_000,
    );
    expect(missing).toEqual([]);

    const ids = new Set([...customers.map((c) => c.id), order!.id]);
    const kafka = new Kafka({
      clientId: 'e2e-dlq-reader',
      brokers: platformEndpoints().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const dead = (await readDeadLetters(kafka)).filter((d) => d.key && ids.has(d.key));
    expect(dead.map((d) => `${d.topic}: ${d.eventType} ${d.reason} ${d.errorCode}`)).toEqual([]);
  }, 300_000);
});
