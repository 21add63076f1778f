import { request } from 'undici';
import type { Logger } from '@fanout/telemetry';
import type { CustomerOwner } from './customer-check';

export interface UserServiceOwnerOptions {
  /** e.g. http://127.0.0.1:3001 */
  url: string;
  apiKey: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Asks user-service whether a user exists (GET /users/:id): 200 known, 404 unknown, anything
 * else (refused key, 5xx, timeout, connection refused) unavailable, logged once per kind.
 */
export function userServiceOwner(options: UserServiceOwnerOptions): CustomerOwner {
  const base = options.url.replace(/\/+$/, '');
  const warned = new Set<string>();
  return async (customerId) => {
    try {
      const response = await request(`${base}/users/${encodeURIComponent(customerId)}`, {
        method: 'GET',
        headers: { 'x-api-key': options.apiKey, accept: 'application/json' },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode === 200) return 'known';
      if (response.statusCode === 404) return 'unknown';
      warnOnce(`status ${response.statusCode}`);
      return 'unavailable';
    } catch (error) {
      warnOnce(error instanceof Error ? error.name : 'error', error);
      return 'unavailable';
    }
  };

  function warnOnce(kind: string, error?: unknown): void {
    if (warned.has(kind)) return;
    warned.add(kind);
    options.logger.warn(
      { err: error, url: base, answer: kind },
      'user-service did not answer a customer check; such orders get 503 until it does',
    );
  }
}
