import { describe, expect, it } from 'vitest';
import { SerialLane } from './serial-lane';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serial lane', () => {
  it('runs tasks one at a time in submission order, even when an earlier task is slower', async () => {
    const lane = new SerialLane();
    const log: string[] = [];
    await Promise.all([
      lane.run(async () => {
        log.push('a:start');
        await tick(20);
        log.push('a:end');
      }),
      lane.run(async () => {
        log.push('b:start');
        log.push('b:end');
      }),
    ]);
    expect(log).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
  });

  it('a failed task rejects its caller and does not stop the tasks behind it', async () => {
    const lane = new SerialLane();
    const failed = lane.run(async () => {
      throw new Error('boom');
    });
    const next = lane.run(async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    await expect(lane.drain()).resolves.toBeUndefined();
  });
});
