import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NonRetriableError } from '@fanout/errors';
import { Batcher } from './batcher';
import type { BatchItemResult } from './batcher';

describe('batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const echo =
    (sent: number[][]) =>
    async (items: number[]): Promise<Array<BatchItemResult<number>>> => {
      sent.push(items);
      return items.map((n) => ({ ok: true, value: n * 10 }));
    };

  it('sends a full batch at once, without waiting for the linger time', async () => {
    const sent: number[][] = [];
    const batcher = new Batcher<number, number>({ maxSize: 3, lingerMs: 1_000, flush: echo(sent) });
    const results = Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([[1, 2, 3]]);
    expect(await results).toEqual([10, 20, 30]);
  });

  it('sends a partial batch when the linger time of its first item ends', async () => {
    const sent: number[][] = [];
    const batcher = new Batcher<number, number>({ maxSize: 10, lingerMs: 50, flush: echo(sent) });
    const a = batcher.add(1);
    await vi.advanceTimersByTimeAsync(30);
    const b = batcher.add(2);
    await vi.advanceTimersByTimeAsync(19);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([[1, 2]]);
    expect(await Promise.all([a, b])).toEqual([10, 20]);
  });

  it("one item's failure rejects only that item's promise", async () => {
    const batcher = new Batcher<number, number>({
      maxSize: 3,
      lingerMs: 10,
      flush: async (items) =>
        items.map((n) =>
          n === 2
            ? { ok: false, error: new NonRetriableError('FANOUT_API_CLIENT_ERROR', 'bad item') }
            : { ok: true, value: n },
        ),
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'FANOUT_API_CLIENT_ERROR',
    });
  });

  it('a failed bulk request rejects every item of that batch, and only that batch', async () => {
    let calls = 0;
    const batcher = new Batcher<number, number>({
      maxSize: 2,
      lingerMs: 10,
      flush: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('503');
        return items.map((n) => ({ ok: true, value: n }));
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
  });

  it('an answer with the wrong number of results rejects the batch as a bad response', async () => {
    const batcher = new Batcher<number, number>({
      maxSize: 2,
      lingerMs: 10,
      flush: async () => [{ ok: true, value: 1 }],
    });
    const results = await Promise.allSettled([1, 2].map((n) => batcher.add(n)));
    for (const result of results)
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'FANOUT_API_BAD_RESPONSE' },
      });
  });

  it('close sends what waits, waits for batches in flight, and refuses later items', async () => {
    const sent: number[][] = [];
    const batcher = new Batcher<number, number>({
      maxSize: 10,
      lingerMs: 60_000,
      flush: echo(sent),
    });
    const pending = batcher.add(7);
    await batcher.close();
    expect(await pending).toBe(70);
    await expect(batcher.add(8)).rejects.toThrow(/closed/);
  });
});
