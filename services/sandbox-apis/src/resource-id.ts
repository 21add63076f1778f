import { randomBytes } from 'node:crypto';

// A random per-process prefix and a counter: unique across restarts without a syscall per id.
const processPrefix = randomBytes(4).toString('hex');
let counter = 0;

/** A resource id in the style of real APIs: a type prefix and opaque hex (`auth_3f9c…`). */
export function resourceId(prefix: string): string {
  counter += 1;
  return `${prefix}_${processPrefix}${counter.toString(16).padStart(8, '0')}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
