import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from './circuit-breaker';
import { pauseWhileCircuitOpen } from './circuit-pause-binding';

describe('pauseWhileCircuitOpen', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pauses once when the circuit opens and resumes when it lets probes through', () => {
    const breaker = new CircuitBreaker({
      name: 'crm',
      consecutiveFailures: 1,
      openDurationMs: 1_000,
    });
    const calls: string[] = [];
    const unsubscribe = pauseWhileCircuitOpen(
      (listener) => {
        breaker.on('stateChange', listener);
        return () => breaker.off('stateChange', listener);
      },
      { pause: () => calls.push('pause'), resume: () => calls.push('resume') },
    );
    breaker.tryAcquire()!.failure();
    expect(calls).toEqual(['pause']);
    vi.advanceTimersByTime(1_000);
    expect(calls).toEqual(['pause', 'resume']);
    breaker.tryAcquire()!.success();
    expect(calls).toEqual(['pause', 'resume']);
    unsubscribe();
    breaker.reset();
    breaker.tryAcquire()!.failure();
    expect(calls).toEqual(['pause', 'resume']);
  });
});
