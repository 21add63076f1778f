import { isFanoutError } from '@fanout/errors';
import type { CircuitBreaker } from '@fanout/downstream';

/**
 * Runs a handler, and when its API call is refused because the circuit is open, waits in place
 * for the circuit to let calls through again, then runs it again.
 *
 * Why wait instead of failing to a retry topic: consumption is paused while the circuit is open,
 * so the refused events are the few already in flight. Moving them to a retry topic would spend
 * retry tiers on an outage (and dead-letter them if it lasts), and would let later events of the
 * same key overtake them. Waiting keeps per-key order and loses nothing; shutdown's abort signal
 * ends the wait and the event is redelivered. Re-running a handler is safe because every write
 * carries the same Idempotency-Key.
 */
export async function runThroughCircuit<T>(
  breaker: CircuitBreaker | undefined,
  signal: AbortSignal,
  run: () => Promise<T>,
): Promise<T> {
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (!breaker || !isCircuitOpen(error) || signal.aborted) throw error;
      await untilCircuitAdmits(breaker, signal);
      if (signal.aborted) throw error;
    }
  }
}

function isCircuitOpen(error: unknown): boolean {
  return isFanoutError(error) && error.code === 'FANOUT_API_CIRCUIT_OPEN';
}

/** Resolves on the next state change, or after a short poll (a half-open probe may be busy). */
function untilCircuitAdmits(breaker: CircuitBreaker, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      breaker.off('stateChange', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    // While open, the breaker names when it will let probes through; while half-open, another
    // handler's probe decides, which a state change reports.
    const waitMs = breaker.state === 'closed' ? 0 : 1_000;
    const timer = setTimeout(done, waitMs);
    breaker.on('stateChange', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
