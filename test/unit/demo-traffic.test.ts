import { describe, expect, it } from 'vitest';
// scripts/ is the root's own tooling (run by `npm start`), not a workspace package to import by name.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { demoOrder, demoRegistrations, sendDemoTraffic } from '../../scripts/lib/demo-traffic.mjs';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { DemoService } from '../../scripts/lib/demo-traffic.mjs';

/** A service stand-in recording each POST and answering with `answer`. */
function fakeService(
  answer: (path: string, body: unknown, n: number) => { status: number; body: unknown } | undefined,
  isReady = true,
) {
  const posts: Array<{ path: string; body: unknown }> = [];
  const service: DemoService = {
    ready: async () => isReady,
    post: async (path, body) => {
      posts.push({ path, body });
      return answer(path, body, posts.length);
    },
  };
  return { service, posts };
}

const registered = (_path: string, body: unknown, n: number) => ({
  status: 201,
  body: { ...(body as object), id: `user-${n}`, createdAt: '2026-01-01T00:00:00.000Z' },
});

describe('npm start demo traffic', () => {
  it('places the order for the first user it just registered (the id from POST /users)', async () => {
    const users = fakeService(registered);
    const orders = fakeService(() => ({ status: 202, body: { id: 'order-1' } }));
    const lines: string[] = [];
    const { customers, order } = await sendDemoTraffic({
      userService: users.service,
      orderService: orders.service,
      log: (line) => lines.push(line),
      stamp: 'run1',
    });
    expect(users.posts.map((p) => p.path)).toEqual(['/users', '/users', '/users']);
    expect(customers.map((c) => c.id)).toEqual(['user-1', 'user-2', 'user-3']);
    expect(order).toEqual({ id: 'order-1' });
    expect(orders.posts).toHaveLength(1);
    expect(orders.posts[0]!.path).toBe('/orders');
    expect(orders.posts[0]!.body).toMatchObject({
      customerId: 'user-1',
      shippingAddress: { recipientName: 'Ada Lovelace' },
    });
    expect(lines).toEqual(['\n▶ demo traffic']);
  });

  it('takes the first registration that succeeded, and sends no order when none did', async () => {
    // The first answer is a 409 (already registered): the order goes to the second user.
    const partly = fakeService((path, body, n) =>
      n === 1 ? { status: 409, body: { status: 409 } } : registered(path, body, n),
    );
    const orders = fakeService(() => ({ status: 201, body: {} }));
    await sendDemoTraffic({
      userService: partly.service,
      orderService: orders.service,
      log: () => {},
    });
    expect(orders.posts[0]!.body).toMatchObject({
      customerId: 'user-2',
      shippingAddress: { recipientName: 'Grace Hopper' },
    });

    const failing = fakeService(() => undefined);
    const noOrders = fakeService(() => ({ status: 201, body: {} }));
    const lines: string[] = [];
    await sendDemoTraffic({
      userService: failing.service,
      orderService: noOrders.service,
      log: (line) => lines.push(line),
    });
    expect(noOrders.posts).toEqual([]);
    expect(lines).toContain(
      '  · no demo user was registered: no order sent (it needs a registered customer)',
    );
  });

  it('skips what is not running, with a note', async () => {
    const users = fakeService(registered, false);
    const orders = fakeService(() => ({ status: 201, body: {} }), false);
    const lines: string[] = [];
    await sendDemoTraffic({
      userService: users.service,
      orderService: orders.service,
      log: (line) => lines.push(line),
    });
    expect(users.posts).toEqual([]);
    expect(orders.posts).toEqual([]);
    expect(lines).toEqual([
      '\n▶ demo traffic',
      '  · user-service is not running: no user registrations sent',
      '  · order-service is not running: no orders sent',
    ]);
  });

  it('builds registrations with unique emails per run and an order for the given customer', () => {
    const registrations = demoRegistrations('abc');
    expect(registrations.map((r) => r.email)).toEqual([
      'ada.abc@example.com',
      'grace.abc@example.com',
      'alan.abc@example.com',
    ]);
    expect(new Set(demoRegistrations().map((r) => r.email)).size).toBe(3);
    expect(demoOrder({ id: 'u-9', name: 'Alan Turing' })).toMatchObject({
      customerId: 'u-9',
      currency: 'EUR',
      shippingAddress: { recipientName: 'Alan Turing', country: 'DE' },
    });
  });
});
