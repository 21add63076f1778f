import { createHash } from 'node:crypto';

/**
 * A deterministic Idempotency-Key for one side effect: the same event and action always give
 * the same key, so a redelivered event replays the API's first answer instead of acting twice,
 * while two actions caused by one event (e.g. "create deal" and "move deal") stay distinct.
 *
 * The key is a hash, so it carries no personal data and has a fixed length (36 characters,
 * UUID-shaped, within every API's key limit), whatever the inputs.
 */
export function idempotencyKey(eventId: string, action: string): string {
  if (eventId.length === 0) throw new TypeError('idempotencyKey: eventId is empty');
  if (action.length === 0) throw new TypeError('idempotencyKey: action is empty');
  // The separator cannot occur in either part's length prefix, so ("a", "bc") ≠ ("ab", "c").
  const digest = createHash('sha256')
    .update(`fanout-idempotency-v1\n${eventId.length}:${eventId}\n${action.length}:${action}`)
    .digest('hex');
  return [
    digest.slice(0, 8),
    digest.slice(8, 12),
    // Version nibble 8 (RFC 9562 "custom"), variant bits 10.
    `8${digest.slice(13, 16)}`,
    ((Number.parseInt(digest.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + digest.slice(18, 20),
    digest.slice(20, 32),
  ].join('-');
}
