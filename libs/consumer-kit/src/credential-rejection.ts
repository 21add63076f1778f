import { RetriableError, isFanoutError } from '@fanout/errors';

/**
 * An API refusing our credential (401, 403) says nothing about the event: every event would be
 * refused the same way until an operator fixes the key. Dead-lettering them all at once would
 * turn a config mistake into a replay job, so the kit makes it retriable: events travel the
 * retry tiers (minutes of grace to fix the key) and are dead-lettered only if it stays broken.
 */
export function credentialRejection(error: unknown): RetriableError | undefined {
  if (!isFanoutError(error) || error.code !== 'FANOUT_API_CLIENT_ERROR') return undefined;
  const status = error.details.status;
  if (status !== 401 && status !== 403) return undefined;
  return new RetriableError(
    'FANOUT_API_UNAUTHORIZED',
    `${String(error.details.api ?? 'API')} refused the credential (${status})`,
    {
      cause: error,
      details: { api: error.details.api, operation: error.details.operation, status },
    },
  );
}
