import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_KEY } from './chaos-system';

/** A registration the user-service accepted (2xx): it must reach the four fan-out APIs. */
export interface AcceptedUser {
  id: string;
  acceptedAt: number;
}

/** An order the order-service accepted (2xx): its saga must end, and its outcome fan out. */
export interface AcceptedOrder {
  id: string;
  customerId: string;
  /** Priced at or above the payment decline rule: the saga must cancel it. */
  declineExpected: boolean;
  acceptedAt: number;
}

export interface LoadResult {
  users: AcceptedUser[];
  orders: AcceptedOrder[];
  /** Requests not accepted (status or network error), by reason: not owed anything. */
  rejected: Record<string, number>;
  /** Ticks skipped because too many requests were still in flight. */
  skipped: number;
  sent: number;
  durationMs: number;
}

export interface LoadOptions {
  /** Base URLs of the two domain services. */
  userService: string;
  orderService: string;
  /** Requests per second (users and orders together). */
  rate: number;
  durationMs: number;
  /** Every n-th request is an order (for a registered customer not used before). */
  orderEvery?: number;
  /** Every n-th order is priced to be declined by the payment API (see DECLINE_RULE). */
  declineEvery?: number;
  maxInFlight?: number;
}

/** The payment decline rule the suite sets: orders at or above this amount are declined. */
export const DECLINE_RULE = { amountGte: 50_000 };
const CHEAP_PRICE = 12.5;
const DECLINED_PRICE = 999;

export interface RunningLoad {
  done: Promise<LoadResult>;
  /** How many requests were accepted so far. */
  accepted(): number;
}

async function post(url: string, body: unknown): Promise<{ status: number; id?: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'x-api-key': API_KEY,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let id: string | undefined;
  try {
    id = (JSON.parse(text) as { id?: string }).id;
  } catch {
    id = undefined;
  }
  return { status: response.status, id };
}

/**
 * An open-loop, bounded stream of real POST /users and POST /orders: `rate` requests per second
 * for `durationMs`, never more than `maxInFlight` at once (a tick that finds the window full is
 * skipped and counted). Orders use customers registered earlier in the same load, one order
 * each, so every outcome can be traced to its own customer at the analytics API.
 */
export function startLoad(options: LoadOptions): RunningLoad {
  const orderEvery = options.orderEvery ?? 3;
  const declineEvery = options.declineEvery ?? 5;
  const maxInFlight = options.maxInFlight ?? 64;
  const users: AcceptedUser[] = [];
  const orders: AcceptedOrder[] = [];
  const customers: string[] = [];
  const rejected: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let skipped = 0;
  let orderCount = 0;
  const reject = (reason: string) => void (rejected[reason] = (rejected[reason] ?? 0) + 1);

  const register = async (n: number): Promise<void> => {
    const tag = `${Date.now().toString(36)}-${n}-${randomUUID().slice(0, 8)}`;
    const r = await post(`${options.userService}/users`, {
      email: `chaos-${tag}@example.com`,
      name: `Chaos ${tag}`,
      marketingConsent: n % 2 === 0,
      locale: 'en-GB',
    });
    if (r.status >= 200 && r.status < 300 && r.id) {
      users.push({ id: r.id, acceptedAt: Date.now() });
      customers.push(r.id);
    } else reject(`POST /users ${r.status}`);
  };

  const placeOrder = async (customerId: string): Promise<void> => {
    orderCount += 1;
    const declineExpected = orderCount % declineEvery === 0;
    const r = await post(`${options.orderService}/orders`, {
      customerId,
      currency: 'EUR',
      items: [
        { sku: 'CHAOS-1', quantity: 1, unitPrice: declineExpected ? DECLINED_PRICE : CHEAP_PRICE },
        { sku: 'CHAOS-2', quantity: 2, unitPrice: 1 },
      ],
      shippingAddress: {
        recipientName: 'Chaos Monkey',
        line1: '1 Fault Street',
        city: 'Dublin',
        postalCode: 'D01',
        country: 'IE',
      },
    });
    if (r.status >= 200 && r.status < 300 && r.id)
      orders.push({ id: r.id, customerId, declineExpected, acceptedAt: Date.now() });
    else reject(`POST /orders ${r.status}`);
  };

  const started = Date.now();
  const done = (async (): Promise<LoadResult> => {
    const total = Math.round((options.rate * options.durationMs) / 1000);
    const interval = 1000 / options.rate;
    for (let n = 0; n < total; n++) {
      const due = started + n * interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size >= maxInFlight) {
        skipped += 1;
        continue;
      }
      // An order when it is an order's turn and an unused customer exists; else a registration.
      const customer = n % orderEvery === orderEvery - 1 ? customers.shift() : undefined;
      sent += 1;
      const request = (customer ? placeOrder(customer) : register(n)).catch((error: unknown) =>
        reject(
          `${customer ? 'POST /orders' : 'POST /users'} ${(error as Error).name}: ${(error as Error).message}`,
        ),
      );
      const tracked = request.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.allSettled([...inFlight]);
    return { users, orders, rejected, skipped, sent, durationMs: Date.now() - started };
  })();
  return { done, accepted: () => users.length + orders.length };
}
