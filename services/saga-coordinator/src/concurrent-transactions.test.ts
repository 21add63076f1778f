import { describe, expect, it } from 'vitest';
import { retryConcurrentTransactions } from './concurrent-transactions';

const concurrent = () =>
  Object.assign(new Error('another concurrent operation on the same transaction'), {
    type: 'CONCURRENT_TRANSACTIONS',
  });
const fast = { attempts: 4, firstDelayMs: 1, maxDelayMs: 2 };

describe('retryConcurrentTransactions', () => {
  it('tries a step again while the broker answers CONCURRENT_TRANSACTIONS', async () => {
    let calls = 0;
    const result = await retryConcurrentTransactions(() => {
      calls += 1;
      return calls < 3 ? Promise.reject(concurrent()) : Promise.resolve('sent');
    }, fast);
    expect(result).toBe('sent');
    expect(calls).toBe(3);
  });

  it('gives up after its attempts with the broker error', async () => {
    let calls = 0;
    await expect(
      retryConcurrentTransactions(() => {
        calls += 1;
        return Promise.reject(concurrent());
      }, fast),
    ).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
    expect(calls).toBe(4);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    await expect(
      retryConcurrentTransactions(() => {
        calls += 1;
        return Promise.reject(
          Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' }),
        );
      }, fast),
    ).rejects.toThrow('fenced');
    expect(calls).toBe(1);
  });
});
