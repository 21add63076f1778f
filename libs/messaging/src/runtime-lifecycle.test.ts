import { describe, expect, it } from 'vitest';
import { subscribeWithRetry, withinDeadline } from './runtime-lifecycle';

describe('withinDeadline', () => {
  it('resolves with the work when it finishes first', async () => {
    let done = false;
    await withinDeadline(
      new Promise<void>((resolve) => setTimeout(() => resolve((done = true) && undefined), 5)),
      1_000,
    );
    expect(done).toBe(true);
  });

  it('gives up waiting at the deadline', async () => {
    const started = Date.now();
    await withinDeadline(new Promise(() => undefined), 20);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('subscribeWithRetry', () => {
  it('waits out retriable failures of a topic not yet in every broker metadata', async () => {
    let calls = 0;
    await subscribeWithRetry(
      {
        subscribe: async () => {
          calls += 1;
          if (calls < 2) throw Object.assign(new Error('not hosted yet'), { retriable: true });
        },
      },
      ['t'],
      true,
    );
    expect(calls).toBe(2);
  });

  it('fails at once on a non-retriable error', async () => {
    let calls = 0;
    const failing = subscribeWithRetry(
      {
        subscribe: async () => {
          calls += 1;
          throw new Error('not authorized');
        },
      },
      ['t'],
      true,
    );
    await expect(failing).rejects.toThrow('not authorized');
    expect(calls).toBe(1);
  });
});
