import { describe, expect, it } from 'vitest';
import { Bulkhead } from './bulkhead';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('bulkhead', () => {
  it('never runs more than maxConcurrent tasks at once', async () => {
    const bulkhead = new Bulkhead({ name: 'crm', maxConcurrent: 3 });
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 20 }, (_, i) =>
      bulkhead.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1 + (i % 3)));
        running -= 1;
        return i;
      }),
    );
    expect(await Promise.all(tasks)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(bulkhead.inFlight).toBe(0);
  });

  it('refuses with a retriable error when the queue is full', async () => {
    const bulkhead = new Bulkhead({ name: 'crm', maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const first = bulkhead.run(() => gate.promise);
    const second = bulkhead.run(async () => 'second');
    await expect(bulkhead.run(async () => 'third')).rejects.toMatchObject({
      code: 'FANOUT_API_BULKHEAD_FULL',
      retriable: true,
    });
    gate.resolve();
    await first;
    expect(await second).toBe('second');
  });

  it('frees the slot when a task throws, and a double release frees only one slot', async () => {
    const bulkhead = new Bulkhead({ name: 'crm', maxConcurrent: 1 });
    await expect(bulkhead.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    const release = await bulkhead.acquire();
    release();
    release();
    expect(bulkhead.inFlight).toBe(0);
    const a = await bulkhead.acquire();
    expect(bulkhead.inFlight).toBe(1);
    a();
  });
});
