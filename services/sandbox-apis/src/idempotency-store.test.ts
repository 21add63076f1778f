import { describe, expect, it } from 'vitest';
import { IdempotencyStore, requestFingerprint } from './idempotency-store';

describe('idempotency store', () => {
  const fp = requestFingerprint('POST', '/v1/messages', { to: 'a', template: 'w' });

  it('runs a new key, replays it once completed, and refuses it with another request', () => {
    const store = new IdempotencyStore();
    expect(store.reserve('email:c', 'k', fp)).toEqual({ kind: 'new' });
    expect(store.reserve('email:c', 'k', fp)).toEqual({ kind: 'in_progress' });
    store.complete('email:c', 'k', { status: 202, body: { id: 'msg_1' } });
    expect(store.reserve('email:c', 'k', fp)).toEqual({
      kind: 'replay',
      response: { status: 202, body: { id: 'msg_1' } },
    });
    expect(
      store.reserve(
        'email:c',
        'k',
        requestFingerprint('POST', '/v1/messages', { to: 'b', template: 'w' }),
      ),
    ).toEqual({ kind: 'mismatch' });
  });

  it('scopes keys per API and caller', () => {
    const store = new IdempotencyStore();
    store.reserve('email:c', 'k', fp);
    expect(store.reserve('crm:c', 'k', fp)).toEqual({ kind: 'new' });
    expect(store.reserve('email:other', 'k', fp)).toEqual({ kind: 'new' });
  });

  it('forgets an abandoned key, and the oldest keys beyond its bound', () => {
    const store = new IdempotencyStore(2);
    store.reserve('s', 'a', fp);
    store.abandon('s', 'a');
    expect(store.reserve('s', 'a', fp)).toEqual({ kind: 'new' });
    store.reserve('s', 'b', fp);
    store.reserve('s', 'c', fp);
    expect(store.size).toBe(2);
    expect(store.reserve('s', 'a', fp)).toEqual({ kind: 'new' });
  });

  it('fingerprints ignore key order but not values, path or method', () => {
    expect(requestFingerprint('POST', '/x', { a: 1, b: { c: 2, d: 3 } })).toBe(
      requestFingerprint('POST', '/x', { b: { d: 3, c: 2 }, a: 1 }),
    );
    const base = requestFingerprint('POST', '/x', { a: 1 });
    expect(requestFingerprint('POST', '/x', { a: 2 })).not.toBe(base);
    expect(requestFingerprint('POST', '/y', { a: 1 })).not.toBe(base);
    expect(requestFingerprint('PUT', '/x', { a: 1 })).not.toBe(base);
  });
});
