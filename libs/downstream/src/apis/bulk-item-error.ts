import { NonRetriableError, RetriableError } from '@fanout/errors';
import type { FanoutError } from '@fanout/errors';

/**
 * The error for one failed item of a bulk answer, classified like a whole response would be:
 * 429, 408 and 5xx are retriable, other statuses are the caller's fault.
 */
export function bulkItemError(
  api: string,
  operation: string,
  item: { status: number; error?: unknown },
): FanoutError {
  const details = {
    api,
    operation,
    status: item.status,
    response: JSON.stringify(item.error ?? null).slice(0, 1024),
  };
  const message = `${api}: ${operation} item answered ${item.status}`;
  if (item.status === 429)
    return new RetriableError('FANOUT_API_RATE_LIMITED', message, { details });
  if (item.status === 408) return new RetriableError('FANOUT_API_TIMEOUT', message, { details });
  if (item.status >= 500)
    return new RetriableError('FANOUT_API_SERVER_ERROR', message, { details });
  return new NonRetriableError('FANOUT_API_CLIENT_ERROR', message, { details });
}
