import { describe, expect, it } from 'vitest';
import { cookieValue, createApiKeyVerifier, presentedApiKey } from './api-key-auth';

describe('API key verifier', () => {
  const verify = createApiKeyVerifier(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);

  it('tells a missing key from a wrong one', () => {
    expect(verify(undefined)).toEqual({ kind: 'missing' });
    expect(verify('  ')).toEqual({ kind: 'missing' });
    expect(verify('key-cccccccccccccccc')).toEqual({ kind: 'invalid' });
    expect(verify('key-aaaaaaaaaaaaaaa')).toEqual({ kind: 'invalid' });
  });

  it('identifies each valid key by a stable id that is not the key', () => {
    const a = verify('key-aaaaaaaaaaaaaaaa');
    const b = verify('key-bbbbbbbbbbbbbbbb');
    expect(a.kind).toBe('valid');
    expect(b.kind).toBe('valid');
    if (a.kind !== 'valid' || b.kind !== 'valid') return;
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.keyId).not.toContain('aaaa');
    expect(verify('key-aaaaaaaaaaaaaaaa')).toEqual(a);
  });

  it('reads the key from X-API-Key or a bearer token', () => {
    expect(presentedApiKey({ 'x-api-key': 'k1' })).toBe('k1');
    expect(presentedApiKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(presentedApiKey({ authorization: 'Basic abc' })).toBeUndefined();
  });
});

describe('cookieValue', () => {
  it('finds one cookie among several and decodes it', () => {
    expect(
      cookieValue('a=1; fanout_console_key=local%2Ddev%2Dkey; b=2', 'fanout_console_key'),
    ).toBe('local-dev-key');
  });

  it('is undefined without the cookie or without a header', () => {
    expect(cookieValue('a=1', 'fanout_console_key')).toBeUndefined();
    expect(cookieValue(undefined, 'fanout_console_key')).toBeUndefined();
  });
});
