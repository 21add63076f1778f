import { describe, expect, it } from 'vitest';
import { applyFaults, describeFaults, faultsInputSchema, noFaults } from './faults';

describe('faults', () => {
  it('an outage with a duration ends then; without one it lasts until cleared', () => {
    const timed = applyFaults(
      noFaults(),
      faultsInputSchema.parse({ outage: { durationMs: 30_000 } }),
      1_000,
    );
    expect(timed.outage).toMatchObject({ until: 31_000, status: 503 });
    const open = applyFaults(noFaults(), faultsInputSchema.parse({ outage: {} }), 1_000);
    expect(open.outage?.until).toBe(Infinity);
    expect(describeFaults(open, 2_000).outage).toMatchObject({ until: null });
    expect(applyFaults(open, faultsInputSchema.parse({ outage: null }), 2_000).outage).toBeNull();
  });

  it('PATCH-style application keeps the fields it does not mention', () => {
    const first = applyFaults(
      noFaults(),
      faultsInputSchema.parse({ latency: { type: 'fixed', ms: 200 } }),
      0,
    );
    const second = applyFaults(first, faultsInputSchema.parse({ errorRate: 0.5 }), 0);
    expect(second).toMatchObject({ latency: { type: 'fixed', ms: 200 }, errorRate: 0.5 });
  });

  it('refuses unknown fields and out-of-range values', () => {
    expect(faultsInputSchema.safeParse({ errorRate: 1.5 }).success).toBe(false);
    expect(faultsInputSchema.safeParse({ errorStatus: 404 }).success).toBe(false);
    expect(faultsInputSchema.safeParse({ latencyMs: 5 }).success).toBe(false);
  });
});
