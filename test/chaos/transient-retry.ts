import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs a read of the test's own (admin offsets, a topic read) again while Kafka answers with a
 * retriable error, e.g. "not the leader" right after a leadership move: the suite's evidence must
 * not fail where the system it observes is allowed to wait. Bounded in count and time.
 */
export async function withTransientRetry<T>(
  what: string,
  work: () => Promise<T>,
  attempts = 6,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= attempts)
        throw new Error(`${what}: ${(error as Error).message} (attempt ${attempt})`, {
          cause: error,
        });
      await sleep(Math.min(5_000, 500 * 2 ** (attempt - 1)));
    }
  }
}
