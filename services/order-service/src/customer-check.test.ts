import { ProblemError } from '@fanout/service-kit';
import { describe, expect, it } from 'vitest';
import { customerCheck } from './customer-check';
import type { Customer } from './customer-check';

/** A view holding `known`, caught up or not, that records how long each lookup may wait. */
function view(known: string[], caughtUp: boolean) {
  const waits: number[] = [];
  return {
    waits,
    table: {
      caughtUp,
      async lookup(key: string, waitMs?: number): Promise<Customer | undefined> {
        waits.push(waitMs ?? 0);
        return known.includes(key) ? { userId: key } : undefined;
      },
    },
  };
}

async function refusal(promise: Promise<void>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe('customerCheck', () => {
  it('accepts a customer the view knows, waiting at most the configured time', async () => {
    const v = view(['u-1'], true);
    await expect(customerCheck(v.table, 5_000).requireKnown('u-1')).resolves.toBeUndefined();
    expect(v.waits).toEqual([5_000]);
  });

  it('refuses an unknown customer with a 422 naming customerId once the view is caught up', async () => {
    const error = await refusal(customerCheck(view([], true).table, 10).requireKnown('u-2'));
    expect(error.status).toBe(422);
    expect(error.slug).toBe('unknown-customer');
    expect(error.errors?.map((e) => e.field)).toEqual(['customerId']);
  });

  it('answers 503 with Retry-After, not a false 422, while the view is still catching up', async () => {
    const error = await refusal(customerCheck(view([], false).table, 10).requireKnown('u-3'));
    expect(error.status).toBe(503);
    expect(error.slug).toBe('customers-view-catching-up');
    expect(error.headers['retry-after']).toBe('2');
  });

  it('takes a customer the view misses when user-service knows it (accepted, not yet published)', async () => {
    const asked: string[] = [];
    const check = customerCheck(view([], true).table, 10, async (id) => {
      asked.push(id);
      return 'known';
    });
    await expect(check.requireKnown('u-4')).resolves.toBeUndefined();
    expect(asked).toEqual(['u-4']);
  });

  it('refuses with 422 when user-service says no such user, even while the view catches up', async () => {
    const check = customerCheck(view([], false).table, 10, async () => 'unknown');
    expect((await refusal(check.requireKnown('u-5'))).status).toBe(422);
  });

  it('answers 503 when the view misses and user-service does not answer', async () => {
    const check = customerCheck(view([], true).table, 10, async () => 'unavailable');
    const error = await refusal(check.requireKnown('u-6'));
    expect(error.status).toBe(503);
    expect(error.slug).toBe('customers-unavailable');
  });

  it('does not ask user-service about a customer the view knows', async () => {
    let asked = 0;
    const check = customerCheck(view(['u-7'], true).table, 10, async () => {
      asked += 1;
      return 'unknown';
    });
    await check.requireKnown('u-7');
    expect(asked).toBe(0);
  });
});
