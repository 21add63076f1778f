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

// Many handlers wait at once during an outage: they share one listener per breaker and one
// per abort signal instead of adding their own.
const changes = new WeakMap<CircuitBreaker, Promise<void>>();
const aborts = new WeakMap<AbortSignal, Promise<void>>();

function nextChange(breaker: CircuitBreaker): Promise<void> {
  let change = changes.get(breaker);
  if (!change) {
    change = new Promise((resolve) =>
      breaker.once('stateChange', () => {
        changes.delete(breaker);
        resolve();
      }),
    );
    changes.set(breaker, change);
  }
  return change;
}

function aborted(signal: AbortSignal): Promise<void> {
  let done = aborts.get(signal);
  if (!done) {
    done = new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    aborts.set(signal, done);
  }
  return done;
}

/**
 * Resolves on the next state change, on abort, or after a short poll: while half-open, another
 * handler's probe decides, and the probe budget may be taken.
 */
async function untilCircuitAdmits(breaker: CircuitBreaker, signal: AbortSignal): Promise<void> {
  if (breaker.state === 'closed') return;
  let timer: NodeJS.Timeout | undefined;
  const poll = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 1_000);
  });
  try {
    await Promise.race([nextChange(breaker), aborted(signal), poll]);
  } finally {
    clearTimeout(timer);
  }
}
