import { describe, expect, it } from 'vitest';
import { latencySchema, sampleLatency } from './latency';

describe('latency distributions', () => {
  it('samples fixed, uniform and normal distributions within their bounds', () => {
    expect(sampleLatency({ type: 'fixed', ms: 200 })).toBe(200);
    expect(sampleLatency({ type: 'uniform', minMs: 100, maxMs: 300 }, () => 0)).toBe(100);
    expect(sampleLatency({ type: 'uniform', minMs: 100, maxMs: 300 }, () => 0.5)).toBe(200);
    const normal = Array.from({ length: 5_000 }, () =>
      sampleLatency({ type: 'normal', meanMs: 150, stddevMs: 20 }),
    );
    const mean = normal.reduce((a, b) => a + b, 0) / normal.length;
    expect(mean).toBeGreaterThan(145);
    expect(mean).toBeLessThan(155);
    expect(
      Math.min(
        ...Array.from({ length: 1_000 }, () =>
          sampleLatency({ type: 'normal', meanMs: 1, stddevMs: 50 }),
        ),
      ),
    ).toBe(0);
    expect(sampleLatency(undefined)).toBe(0);
  });

  it('refuses an inverted uniform range and unknown shapes', () => {
    expect(latencySchema.safeParse({ type: 'uniform', minMs: 5, maxMs: 1 }).success).toBe(false);
    expect(latencySchema.safeParse({ type: 'pareto', ms: 1 }).success).toBe(false);
    expect(latencySchema.safeParse({ type: 'fixed', ms: -1 }).success).toBe(false);
  });
});
