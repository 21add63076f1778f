import type { CircuitStateChange } from './circuit-breaker';

/** What a consumer exposes to stop and restart fetching without leaving its group. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Pauses consumption while an API's circuit is open and resumes it when the circuit lets
 * probes through (half-open) or closes. Resuming on half-open is what lets the probe happen at
 * all: a paused consumer sends nothing. Calls beyond the probe budget fail fast with a
 * retriable FANOUT_API_CIRCUIT_OPEN and go through the runtime's retries.
 *
 * `subscribe` is the client's `onCircuitChange`; returns the unsubscribe function.
 */
export function pauseWhileCircuitOpen(
  subscribe: (listener: (change: CircuitStateChange) => void) => () => void,
  consumer: Pausable,
): () => void {
  let paused = false;
  return subscribe((change) => {
    if (change.to === 'open' && !paused) {
      paused = true;
      consumer.pause();
    } else if (change.to !== 'open' && paused) {
      paused = false;
      consumer.resume();
    }
  });
}
