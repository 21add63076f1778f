import type { StepFailure } from '@fanout/contracts';
import { isFanoutError } from '@fanout/errors';

/**
 * A permanent API error (a 4xx that is not a business answer, or an answer we cannot read) as a
 * failure reply, so the saga compensates instead of waiting for a step timeout. Anything else
 * (network, timeout, 5xx, 429, an open circuit, or a failure outside the API call) returns
 * undefined: the caller rethrows it and the consumer runtime retries, then dead-letters.
 *
 * The message carries the error code and the HTTP status only, never the API's body.
 */
export function permanentApiFailure(error: unknown): StepFailure | undefined {
  if (!isFanoutError(error) || error.retriable || !error.code.startsWith('FANOUT_API_')) {
    return undefined;
  }
  return { code: 'API_ERROR', message: `${error.code}: ${error.message}`, retriable: false };
}
