import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from './circuit-breaker';
import type { CircuitStateChange } from './circuit-breaker';

function fail(breaker: CircuitBreaker, times = 1) {
  for (let i = 0; i < times; i += 1) breaker.tryAcquire()!.failure();
}
function succeed(breaker: CircuitBreaker, times = 1) {
  for (let i = 0; i < times; i += 1) breaker.tryAcquire()!.success();
}

describe('circuit breaker', () => {
  let changes: CircuitStateChange[];
  beforeEach(() => {
    vi.useFakeTimers();
    changes = [];
  });
  afterEach(() => vi.useRealTimers());

  const make = (options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) => {
    const breaker = new CircuitBreaker({
      name: 'crm',
      consecutiveFailures: 3,
      openDurationMs: 1_000,
      ...options,
    });
    breaker.on('stateChange', (change) => changes.push(change));
    return breaker;
  };

  it('opens after the consecutive-failure threshold and refuses calls while open', () => {
    const breaker = make();
    fail(breaker, 2);
    succeed(breaker);
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    fail(breaker);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(changes).toEqual([expect.objectContaining({ name: 'crm', from: 'closed', to: 'open' })]);
  });

  it('moves to half-open by timer after the open duration, and says so', () => {
    const breaker = make();
    fail(breaker, 3);
    vi.advanceTimersByTime(999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half_open');
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open']);
  });

  it('lets only the probe budget through while half-open, and closes after successful probes', () => {
    const breaker = make({ halfOpenProbes: 2, halfOpenSuccesses: 2 });
    fail(breaker, 3);
    vi.advanceTimersByTime(1_000);
    const a = breaker.tryAcquire()!;
    const b = breaker.tryAcquire()!;
    expect(breaker.tryAcquire()).toBeUndefined();
    a.success();
    expect(breaker.state).toBe('half_open');
    b.success();
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens on a failed probe and waits a full open duration again', () => {
    const breaker = make();
    fail(breaker, 3);
    vi.advanceTimersByTime(1_000);
    breaker.tryAcquire()!.failure();
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half_open');
  });

  it('neutral outcomes (never reached the API) count neither way', () => {
    const breaker = make();
    fail(breaker, 2);
    breaker.tryAcquire()!.neutral();
    fail(breaker);
    expect(breaker.state).toBe('open');
  });

  it('opens on the failure rate within the window even without a failure streak', () => {
    const breaker = make({
      consecutiveFailures: 0,
      failureRate: { threshold: 0.5, minimumCalls: 10, windowMs: 10_000 },
    });
    for (let i = 0; i < 4; i += 1) {
      fail(breaker);
      succeed(breaker);
    }
    expect(breaker.state).toBe('closed');
    fail(breaker);
    succeed(breaker);
    expect(breaker.state).toBe('closed'); // 5 of 10 counted before the success: checked on failure
    fail(breaker);
    expect(breaker.state).toBe('open');
  });

  it('forgets failures older than the window', () => {
    const breaker = make({
      consecutiveFailures: 0,
      failureRate: { threshold: 0.5, minimumCalls: 4, windowMs: 1_000 },
    });
    fail(breaker, 3);
    vi.advanceTimersByTime(2_000);
    succeed(breaker, 3);
    fail(breaker);
    expect(breaker.state).toBe('closed');
  });

  it('a permit settles once: a second verdict is ignored', () => {
    const breaker = make();
    const permit = breaker.tryAcquire()!;
    permit.failure();
    permit.failure();
    permit.failure();
    expect(breaker.state).toBe('closed');
  });
});
