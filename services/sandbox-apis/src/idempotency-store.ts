import { hash } from 'node:crypto';

export interface StoredResponse {
  status: number;
  body: unknown;
}

interface Entry {
  fingerprint: string;
  response: StoredResponse | undefined;
}

export type Reservation =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/**
 * Idempotency keys honoured the way payment APIs honour them (Stripe's model): the first
 * request with a key runs and its answer is stored; the same key with the same request replays
 * that answer; the same key with a different request is refused (422); a second request while
 * the first is still running is refused (409). Keys are scoped per API and per API key.
 * Validation failures are not stored, so a corrected request may reuse its key.
 *
 * Bounded: beyond `maxEntries` the oldest keys are forgotten (real APIs expire keys after 24 h).
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 1_000_000) {}

  get size(): number {
    return this.entries.size;
  }

  reserve(scope: string, key: string, fingerprint: string): Reservation {
    const id = `${scope}\u0000${key}`;
    const entry = this.entries.get(id);
    if (!entry) {
      this.entries.set(id, { fingerprint, response: undefined });
      if (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      return { kind: 'new' };
    }
    if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (!entry.response) return { kind: 'in_progress' };
    return { kind: 'replay', response: entry.response };
  }

  complete(scope: string, key: string, response: StoredResponse): void {
    const entry = this.entries.get(`${scope}\u0000${key}`);
    if (entry) entry.response = response;
  }

  /** Forgets a reservation whose request failed validation or crashed. */
  abandon(scope: string, key: string): void {
    this.entries.delete(`${scope}\u0000${key}`);
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Canonical JSON (sorted keys), so field order does not make two equal requests differ. Built by
 * concatenation, without the intermediate arrays of map/join: it runs on every write and item.
 */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonical(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i > 0 ? ',' : ''}${JSON.stringify(k)}:${canonical(record[k])}`;
  }
  return `${out}}`;
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  // One-shot hashing (node:crypto hash, Node ≥ 20.12; engines asks ≥ 20.18.1): no Hash object.
  return hash('sha256', `${method} ${path}\n${canonical(body)}`, 'base64url');
}
