import type * as Crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiKeyVerifier } from './api-key-auth';

// The verifier must not leak through timing which key matched, how much of a key matched, or
// how long the real keys are. Timing itself is too noisy to assert in a unit test, so this pins
// the structure that makes it constant: every configured key is compared, always with
// crypto.timingSafeEqual, always on equal-length digests.
const compared = vi.hoisted(() => ({ lengths: [] as [number, number][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof Crypto>();
  return {
    ...original,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.lengths.push([a.byteLength, b.byteLength]);
      return original.timingSafeEqual(a, b);
    },
  };
});

describe('API key comparison in constant time', () => {
  const keys = ['first-key-aaaaaaaaaaaa', 'second-key-bbbbbbbbbbb', 'third-key-cccccccccccc'];
  const verify = createApiKeyVerifier(keys);

  afterEach(() => {
    compared.lengths = [];
  });

  it.each([
    ['the first key', keys[0], 'valid'],
    ['the last key', keys[2], 'valid'],
    ['an unknown key', 'unknown-key-dddddddddd', 'invalid'],
    ['a near miss of the first key', 'first-key-aaaaaaaaaaab', 'invalid'],
  ])('compares %s against every configured key, not stopping at a match', (_, key, kind) => {
    expect(verify(key).kind).toBe(kind);
    expect(compared.lengths).toHaveLength(keys.length);
  });

  it('compares fixed-length digests, whatever the length of the presented key', () => {
    for (const key of ['k', 'x'.repeat(10_000), keys[1] as string]) verify(key);
    expect(compared.lengths).toHaveLength(3 * keys.length);
    for (const [a, b] of compared.lengths) {
      expect(a).toBe(32);
      expect(b).toBe(32);
    }
  });
});
