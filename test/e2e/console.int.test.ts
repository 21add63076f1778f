import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { uniqueName } from '@fanout/test-platform';
import { API_KEY, eventually, httpJson, startSystem } from './system-under-test';
import type { SystemUnderTest } from './system-under-test';
import { launchChromium, reloadUntil, screenshot, signIn } from './console-browser';

const FAN_OUT = ['email', 'crm', 'analytics', 'search'] as const;

/**
 * The Fanout Console in real headless Chromium (Debian's chromium, playwright-core), against
 * every catalog service started as `npm start` starts them, with real traffic through the
 * domain services. The pages are read as a user reads them: rows, cells and links.
 */
describe('Fanout Console in a browser', () => {
  let system: SystemUnderTest;
  let browser: Browser;
  let page: Page;
  const consoleUrl = () => system.url('console', '');
  const sandbox = (path: string) => system.url('sandbox-apis', path);

  beforeAll(async () => {
    system = await startSystem();
    expect(system.absent, 'catalog services without a main.ts').toEqual([]);
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await signIn(page, consoleUrl(), API_KEY);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await fetch(sandbox('/_admin/apis/crm/faults'), { method: 'DELETE' }).catch(() => undefined);
    await system?.stop();
  }, 120_000);

  async function registerCustomer(name = 'Grace Hopper'): Promise<string> {
    const created = await httpJson<{ id: string }>('POST', system.url('user-service', '/users'), {
      email: `${uniqueName('console')}@example.com`,
      name,
      marketingConsent: false,
      locale: 'en-GB',
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function placeOrder(customerId: string): Promise<string> {
    const placed = await httpJson<{ id: string }>('POST', system.url('order-service', '/orders'), {
      customerId,
      items: [{ sku: 'BOOK-CONSOLE', quantity: 1, unitPrice: 12.5 }],
      currency: 'EUR',
      shippingAddress: {
        recipientName: 'Ada Lovelace',
        line1: '1 Test Street',
        city: 'Berlin',
        postalCode: '10115',
        country: 'DE',
      },
    });
    expect(placed.status).toBe(202);
    return placed.body.id;
  }

  /** The state word of each API cell of the first events-page row of `eventType`. */
  async function rowStates(
    p: Page,
    eventType: string,
  ): Promise<Record<string, string> | undefined> {
    const row = p
      .locator('tr[data-event-id]', { has: p.locator(`a:text-is("${eventType}")`) })
      .first();
    if ((await row.count()) === 0) return undefined;
    const states: Record<string, string> = {};
    for (const api of FAN_OUT)
      states[api] = (await row.locator(`td[data-api="${api}"]`).getAttribute('data-state')) ?? '?';
    return states;
  }

  it('after real traffic, searching the events page for an order shows it done at all four APIs', async () => {
    const orderId = await placeOrder(await registerCustomer());
    const search = `${consoleUrl()}/events?q=${orderId}`;
    await reloadUntil(
      page,
      search,
      `OrderConfirmed of ${orderId} done at ${FAN_OUT.join(', ')}`,
      async (p) => {
        const states = await rowStates(p, 'OrderConfirmed');
        return states !== undefined && FAN_OUT.every((api) => states[api] === 'done');
      },
    );
    // The search box finds it too, as a user types the order id.
    await page.goto(`${consoleUrl()}/events`);
    await page.fill('input[name="q"]', orderId);
    await Promise.all([page.waitForURL(/q=/), page.click('form.search button')]);
    expect(await rowStates(page, 'OrderConfirmed')).toEqual({
      email: 'done',
      crm: 'done',
      analytics: 'done',
      search: 'done',
    });
    await screenshot(page, 'events');
    // The event detail: one SUCCESS attempt per API with its Idempotency-Key, and the waterfall.
    await page.click('tr[data-event-id] a:text-is("OrderConfirmed")');
    await page.waitForSelector('[data-testid="attempts"]');
    for (const api of FAN_OUT)
      expect(
        await page
          .locator(`[data-testid="attempts"] tr[data-api="${api}"][data-outcome="SUCCESS"]`)
          .count(),
      ).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="saga-link"]').getAttribute('href')).toBe(
      `/sagas/${orderId}`,
    );
    await reloadUntil(
      page,
      page.url(),
      'the event trace waterfall',
      async (p) =>
        (await p.locator('[data-testid="waterfall"] tr[data-service="crm-consumer"]').count()) > 0,
    );
    await screenshot(page, 'event-detail');
  });

  it('an event dead-lettered at the CRM is replayed from the page after the fault is cleared, and is done with the replay in its first trace', async () => {
    // A permanent fault: every CRM answer lacks its fields (non-retriable: straight to the DLQ).
    const fault = await httpJson('PUT', sandbox('/_admin/apis/crm/faults'), {
      badResponse: { kind: 'missing_fields' },
    });
    expect(fault.status).toBe(200);
    const userId = await registerCustomer('Alan Turing');
    const search = `${consoleUrl()}/events?q=${userId}`;
    await reloadUntil(
      page,
      search,
      `UserRegistered of ${userId} dead-lettered at crm`,
      async (p) => {
        const states = await rowStates(p, 'UserRegistered');
        return states?.crm === 'dead-lettered';
      },
    );
    const eventId = await page.locator('tr[data-event-id]').first().getAttribute('data-event-id');
    expect(eventId).toBeTruthy();
    await screenshot(page, 'events-dead-lettered');

    await httpJson('DELETE', sandbox('/_admin/apis/crm/faults'));
    // From the events cell to the dead letter, then Replay.
    await page.click(`tr[data-event-id="${eventId}"] td[data-api="crm"] a`);
    await page.waitForSelector('[data-testid="dead-letter"]');
    expect(await page.textContent('[data-testid="reason"]')).toContain('FANOUT_API_BAD_RESPONSE');
    const payload = (await page.textContent('[data-testid="payload"]')) ?? '';
    expect(payload).toContain(userId);
    expect(payload).not.toContain('@example.com');
    expect(payload).not.toContain('Alan Turing');
    await screenshot(page, 'dead-letter');
    await Promise.all([page.waitForURL(/replayed=1/), page.click('[data-testid="replay"]')]);
    expect(await page.textContent('[data-testid="replay-notice"]')).toContain('replayed 1');

    await reloadUntil(
      page,
      `${consoleUrl()}/events/${eventId}`,
      `event ${eventId} done at crm after the replay`,
      async (p) =>
        (await p
          .locator('[data-testid="api-states"] td[data-api="crm"]')
          .getAttribute('data-state')) === 'done',
    );
    const firstTrace = (
      await page.locator('dl.facts a[href^="/traces/"]').first().textContent()
    )?.trim();
    const replay = page.locator('[data-testid="replays"] tr[data-kind="replay"]').first();
    expect(await replay.getAttribute('data-trace-id')).toBe(firstTrace);
    expect(await replay.getAttribute('data-original-trace-id')).toBe(firstTrace);
    expect(
      await page
        .locator('[data-testid="attempts"] tr[data-api="crm"][data-outcome="SUCCESS"]')
        .count(),
    ).toBe(1);
    // The replay's span is in the first trace, under the console's own service name.
    await reloadUntil(
      page,
      `${consoleUrl()}/traces/${firstTrace}`,
      'the replay span in the first trace',
      async (p) =>
        (await p.locator('[data-testid="waterfall"] tr[data-service="console"]').count()) > 0,
    );
    await page.goto(`${consoleUrl()}/events/${eventId}`);
    await screenshot(page, 'event-replayed');
    await page.goto(`${consoleUrl()}/dead-letters`);
    await screenshot(page, 'dead-letters');
  });

  it("a cancelled order's saga page shows the compensation and the cancelled outcome", async () => {
    const customerId = await registerCustomer('Edsger Dijkstra');
    const rules = await httpJson('PUT', sandbox('/_admin/payment/decline-rules'), {
      rules: [{ customerId, declineCode: 'insufficient_funds' }],
    });
    expect(rules.status).toBe(200);
    const orderId = await placeOrder(customerId);
    await reloadUntil(
      page,
      `${consoleUrl()}/sagas/${orderId}`,
      `saga ${orderId} cancelled`,
      async (p) =>
        (await p.locator('[data-testid="saga-outcome"][data-status="cancelled"]').count()) > 0,
    );
    expect(await page.textContent('[data-testid="saga-outcome"]')).toContain('PAYMENT_DECLINED');
    expect(
      await page.locator('[data-testid="saga-timeline"] tr[data-kind="compensation"]').count(),
    ).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="saga-timeline"]')).toMatch(/ReleaseInventory/);
    await screenshot(page, 'saga-cancelled');
    await page.goto(`${consoleUrl()}/sagas`);
    await screenshot(page, 'sagas');
  });

  it('the health page shows lag per group and partition and a breaker state per API', async () => {
    await reloadUntil(
      page,
      `${consoleUrl()}/health`,
      'a breaker state for every fan-out API',
      async (p) => {
        for (const api of FAN_OUT) {
          const state = await p
            .locator(`[data-testid="breakers"] tr[data-api="${api}"]`)
            .getAttribute('data-state')
            .catch(() => null);
          if (state !== 'closed' && state !== 'open' && state !== 'half_open') return false;
        }
        return (
          (await p.locator('[data-testid="lag-groups"] tr[data-group="crm-consumer"]').count()) > 0
        );
      },
    );
    expect(
      await page.locator('[data-testid="failures"] tr[data-group="crm-consumer"]').count(),
    ).toBe(1);
    await screenshot(page, 'health');
  });

  it('replay is refused without a valid API key, and the pages send a browser without one to sign in', async () => {
    const replay = (headers: Record<string, string>) =>
      fetch(system.url('console', '/dead-letters/replay'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ids: ['crm-consumer.dlq:0:0'] }),
        signal: AbortSignal.timeout(10_000),
      });
    expect((await replay({})).status).toBe(401);
    expect((await replay({ 'x-api-key': 'not-a-valid-key-at-all' })).status).toBe(403);
    const anonymous = await browser.newPage();
    try {
      await anonymous.goto(`${consoleUrl()}/dead-letters`);
      expect(anonymous.url()).toContain('/login?next=%2Fdead-letters');
    } finally {
      await anonymous.close();
    }
    const signedIn = await eventually(
      'the replay with the key to answer',
      async () => {
        const r = await replay({ 'x-api-key': API_KEY });
        return r.status === 200 ? r : undefined;
      },
      10_000,
    );
    expect(((await signedIn.json()) as { failed: string[] }).failed).toHaveLength(1);
  });
});
