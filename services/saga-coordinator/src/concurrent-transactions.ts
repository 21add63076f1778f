import { setTimeout as sleep } from 'node:timers/promises';

/** The broker's answer while the previous transaction of this id is still being completed. */
export function isConcurrentTransactions(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'CONCURRENT_TRANSACTIONS';
}

export interface ConcurrentRetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled each time, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

const DEFAULTS: ConcurrentRetryOptions = { attempts: 10, firstDelayMs: 10, maxDelayMs: 500 };

/**
 * Runs `step` again while the broker answers CONCURRENT_TRANSACTIONS, bounded. Right after a
 * commit the transaction coordinator is still writing that transaction's markers; the next
 * transaction's first request may be refused meanwhile, and the protocol expects the client to
 * retry. kafkajs retries it for AddPartitionsToTxn but not for the AddOffsetsToTxn of
 * `sendOffsets`, so a transaction holding only offsets failed (and its partition reloaded)
 * whenever it followed another too closely. Any other error is thrown at once.
 */
export async function retryConcurrentTransactions<T>(
  step: () => Promise<T>,
  options: ConcurrentRetryOptions = DEFAULTS,
): Promise<T> {
  let delay = options.firstDelayMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!isConcurrentTransactions(error) || attempt >= options.attempts) throw error;
      await sleep(delay);
      delay = Math.min(options.maxDelayMs, delay * 2);
    }
  }
}
