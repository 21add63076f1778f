import { describe, expect, it } from 'vitest';
import { warmUpSeconds, type BenchContext } from '../bench/report/bench-context';

const ctx = (platformWarm: boolean) =>
  ({ platformWarm, options: { warmupS: 15, platformWarmupS: 60 } }) as unknown as BenchContext;

describe('the bench warm-up', () => {
  it('lasts the platform warm-up once when the run started the broker, then the usual one', () => {
    const fresh = ctx(false);
    expect([warmUpSeconds(fresh), warmUpSeconds(fresh), warmUpSeconds(fresh)]).toEqual([
      60, 15, 15,
    ]);
  });

  it('is the usual one throughout on a platform that was already running', () => {
    const reused = ctx(true);
    expect([warmUpSeconds(reused), warmUpSeconds(reused)]).toEqual([15, 15]);
  });
});
