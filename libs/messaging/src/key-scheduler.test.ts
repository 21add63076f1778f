import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyScheduler } from './key-scheduler';

describe('KeyScheduler', () => {
  it('runs events of one key in submission order, never overlapping', async () => {
    const scheduler = new KeyScheduler(10);
    const seen: number[] = [];
    let running = 0;
    let overlap = false;
    for (let i = 0; i < 20; i += 1) {
      await scheduler.submit('k', async () => {
        running += 1;
        if (running > 1) overlap = true;
        await sleep(20 - i);
        seen.push(i);
        running -= 1;
      });
    }
    await scheduler.drain();
    expect(overlap).toBe(false);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('runs distinct keys concurrently up to the limit and no further', async () => {
    const scheduler = new KeyScheduler(4);
    let running = 0;
    let peak = 0;
    const started = Date.now();
    for (let i = 0; i < 16; i += 1) {
      await scheduler.submit(`k${i}`, async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(30);
        running -= 1;
      });
    }
    await scheduler.drain();
    expect(peak).toBe(4);
    // 16 tasks of 30 ms, 4 at a time: about 4 rounds, far from 16 sequential ones.
    expect(Date.now() - started).toBeLessThan(16 * 30);
  });

  it('holds the submitter back while the window is full (backpressure)', async () => {
    const scheduler = new KeyScheduler(2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await scheduler.submit('a', () => gate);
    await scheduler.submit('b', () => gate);
    let admitted = false;
    const third = scheduler.submit('c', async () => undefined).then(() => (admitted = true));
    await sleep(10);
    expect(admitted).toBe(false);
    expect(scheduler.full).toBe(true);
    release();
    await third;
    await scheduler.drain();
    expect(admitted).toBe(true);
    expect(scheduler.inFlight).toBe(0);
  });

  it('keeps per-key order with interleaved keys under concurrency', async () => {
    const scheduler = new KeyScheduler(8);
    const perKey = new Map<string, number[]>();
    for (let i = 0; i < 200; i += 1) {
      const key = `k${i % 7}`;
      await scheduler.submit(key, async () => {
        await sleep(Math.floor(Math.random() * 3));
        perKey.set(key, [...(perKey.get(key) ?? []), i]);
      });
    }
    await scheduler.drain();
    for (const [, values] of perKey) expect(values).toEqual([...values].sort((a, b) => a - b));
    expect([...perKey.values()].flat()).toHaveLength(200);
  });
});
