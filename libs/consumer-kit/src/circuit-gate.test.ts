import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '@fanout/downstream';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { runThroughCircuit } from './circuit-gate';

const circuitOpen = () => new RetriableError('FANOUT_API_CIRCUIT_OPEN', 'crm: circuit open');

describe('runThroughCircuit', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits while the circuit is open and runs the handler again once it admits calls', async () => {
    const breaker = new CircuitBreaker({
      name: 'crm',
      consecutiveFailures: 1,
      openDurationMs: 5_000,
    });
    breaker.tryAcquire()!.failure();
    expect(breaker.state).toBe('open');
    let runs = 0;
    const result = runThroughCircuit(breaker, new AbortController().signal, async () => {
      runs += 1;
      if (breaker.state === 'open') throw circuitOpen();
      return 'done';
    });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(runs).toBeLessThanOrEqual(5);
    await vi.advanceTimersByTimeAsync(1_500);
    await expect(result).resolves.toBe('done');
    breaker.dispose();
  });

  it('passes any other error straight through', async () => {
    const breaker = new CircuitBreaker({ name: 'crm' });
    const error = new NonRetriableError('FANOUT_API_CLIENT_ERROR', '400');
    await expect(
      runThroughCircuit(breaker, new AbortController().signal, async () => {
        throw error;
      }),
    ).rejects.toBe(error);
    breaker.dispose();
  });

  it('gives up waiting when shutdown aborts, so the event is redelivered', async () => {
    const breaker = new CircuitBreaker({
      name: 'crm',
      consecutiveFailures: 1,
      openDurationMs: 60_000,
    });
    breaker.tryAcquire()!.failure();
    const abort = new AbortController();
    const result = runThroughCircuit(breaker, abort.signal, async () => {
      throw circuitOpen();
    });
    const assertion = expect(result).rejects.toMatchObject({ code: 'FANOUT_API_CIRCUIT_OPEN' });
    await vi.advanceTimersByTimeAsync(2_000);
    abort.abort();
    await vi.advanceTimersByTimeAsync(10);
    await assertion;
    breaker.dispose();
  });
});
