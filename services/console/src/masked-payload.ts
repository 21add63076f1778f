import { REDACTED, isSensitiveKey, scrubString } from '@fanout/telemetry';

/**
 * A decoded payload as the console may show it: personal data and secrets replaced by the rules
 * the logs and spans use (`@fanout/telemetry`'s redaction rules): a field whose dotted path
 * names personal data (`email`, `shippingAddress.street`) is replaced whole, free text is
 * scrubbed of emails, bearer tokens and credentials. Dates become ISO strings, bytes base64,
 * bigints strings, so the result is plain JSON. `subject` names whom the payload is about
 * (`user`, `customer`): its top-level `name` is then judged as `user.name`, as a log field of
 * that name would be.
 */
export function maskPayload(value: unknown, subject = '', path = '', depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return scrubString(value);
  if (typeof value !== 'object') return value;
  if (depth > 12) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => maskPayload(item, subject, path, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const fieldPath = path ? `${path}.${key}` : key;
    out[key] =
      isSensitiveKey(fieldPath) ||
      isSensitiveKey(key) ||
      (subject && isSensitiveKey(`${subject}.${fieldPath}`))
        ? REDACTED
        : maskPayload(field, subject, fieldPath, depth + 1);
  }
  return out;
}

/** Headers as the console shows them: secrets by name, emails and tokens inside values. */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = isSensitiveKey(name) ? REDACTED : scrubString(value);
  return out;
}

/** Whom an event's payload is about, for `maskPayload`: user events name a user, orders a customer. */
export function payloadSubject(eventType: string): string {
  if (eventType.startsWith('fanout.user.')) return 'user';
  if (eventType.startsWith('fanout.order.')) return 'customer';
  return '';
}
