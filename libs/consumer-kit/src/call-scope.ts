import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which events an API call serves. The consumer kit runs every handler inside a scope, and a
 * bulk lane runs each flush inside the scope of all its items, so the call ledger can name the
 * events behind every attempt without the API clients knowing about events.
 */
export interface CallScope {
  eventIds: readonly string[];
  /** The Kafka key (aggregate id) when the call serves one aggregate. */
  subject: string | null;
  /** Correlation carried onto the ledger record. */
  correlationId: string | null;
}

const storage = new AsyncLocalStorage<CallScope>();

export function runInCallScope<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}
