import { createHash, timingSafeEqual } from 'node:crypto';

export type ApiKeyVerdict =
  | { kind: 'missing' }
  | { kind: 'invalid' }
  | { kind: 'valid'; keyId: string };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Checks an API key against the configured keys in constant time: both sides are hashed to
 * the same length and every key is compared, so neither the length nor the position of a
 * match leaks through timing. `keyId` is a short hash, safe to use in logs and as the rate
 * limit and idempotency scope (never the key itself).
 */
export function createApiKeyVerifier(
  keys: readonly string[],
): (presented: string | undefined) => ApiKeyVerdict {
  const known = keys.map((key) => ({
    digest: digest(key),
    id: digest(key).toString('hex').slice(0, 12),
  }));
  return (presented) => {
    if (presented === undefined || presented.trim() === '') return { kind: 'missing' };
    const candidate = digest(presented.trim());
    let match: string | undefined;
    for (const key of known) {
      if (timingSafeEqual(candidate, key.digest)) match = key.id;
    }
    return match === undefined ? { kind: 'invalid' } : { kind: 'valid', keyId: match };
  };
}

/** Reads the key from `X-API-Key`, or from `Authorization: Bearer <key>`. */
export function presentedApiKey(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) {
    return authorization.replace(/^bearer\s+/i, '');
  }
  return undefined;
}

/** The value of one cookie in a `Cookie` header, URI-decoded; undefined when absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
