import { randomBytes } from 'node:crypto';

/** A resource id in the style of real APIs: a type prefix and random hex (`auth_3f9c…`). */
export function resourceId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
