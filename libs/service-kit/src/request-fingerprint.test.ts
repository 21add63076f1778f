import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from './request-fingerprint';

describe('request fingerprint', () => {
  it('treats bodies that differ only in key order as the same request', () => {
    expect(requestFingerprint({ a: 1, b: { d: [1, 2], c: 'x' } })).toBe(
      requestFingerprint({ b: { c: 'x', d: [1, 2] }, a: 1 }),
    );
  });

  it('treats bodies that differ in any value or array order as different requests', () => {
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: 2 }));
    expect(requestFingerprint({ a: [1, 2] })).not.toBe(requestFingerprint({ a: [2, 1] }));
    expect(canonicalJson({ z: null, a: undefined })).toBe('{"z":null}');
  });
});
