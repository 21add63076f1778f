/**
 * Parses an HTTP Retry-After value (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns the wait in milliseconds (never negative), or undefined when the header is absent or
 * malformed, in which case the caller falls back to its own backoff.
 */
export function parseRetryAfter(
  value: string | string[] | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10) * 1000;
  // Only a real date counts; a bare number with a sign or a fraction is malformed.
  if (/^[+-]?\d*\.?\d+$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
