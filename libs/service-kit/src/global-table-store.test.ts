import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GlobalTableStore } from './global-table-store';

const file = () => join(mkdtempSync(join(tmpdir(), 'global-table-')), 'view.db');

describe('GlobalTableStore', () => {
  it('keeps rows and the position per partition across a reopen', () => {
    const path = file();
    const store = new GlobalTableStore<{ email: string }>(path, 'users');
    store.apply(0, 3n, [
      { key: 'u-1', row: { email: 'a@x' } },
      { key: 'u-2', row: { email: 'b@x' } },
    ]);
    store.apply(4, 10n, [{ key: 'u-3', row: { email: 'c@x' } }]);
    store.close();
    const again = new GlobalTableStore<{ email: string }>(path, 'users');
    expect(again.get('u-2')).toEqual({ email: 'b@x' });
    expect(again.count()).toBe(3);
    expect([...again.positions()]).toEqual([
      [0, 3n],
      [4, 10n],
    ]);
  });

  it('a later record of a key replaces its row and a tombstone deletes it', () => {
    const store = new GlobalTableStore<{ email: string }>(file(), 'users');
    store.apply(0, 1n, [{ key: 'u-1', row: { email: 'old@x' } }]);
    store.apply(0, 2n, [{ key: 'u-1', row: { email: 'new@x' } }]);
    expect(store.get('u-1')).toEqual({ email: 'new@x' });
    store.apply(0, 3n, [{ key: 'u-1', row: null }]);
    expect(store.get('u-1')).toBeUndefined();
    expect(store.positions().get(0)).toBe(3n);
  });

  it('moves rows and position together: a batch that fails leaves neither', () => {
    const store = new GlobalTableStore<unknown>(file(), 'users');
    store.apply(0, 1n, [{ key: 'u-1', row: { n: 1 } }]);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() =>
      store.apply(0, 5n, [
        { key: 'u-2', row: { n: 2 } },
        { key: 'u-3', row: circular },
      ]),
    ).toThrow();
    // Nothing of the batch is staged either (apply stages, then flushes).
    expect(store.pending).toBe(0);
    expect(store.get('u-2')).toBeUndefined();
    expect(store.positions().get(0)).toBe(1n);
  });

  it('starts empty when the file held another topic', () => {
    const path = file();
    const first = new GlobalTableStore<unknown>(path, 'users');
    first.apply(0, 7n, [{ key: 'u-1', row: { n: 1 } }]);
    first.close();
    const other = new GlobalTableStore<unknown>(path, 'users-v2');
    expect(other.count()).toBe(0);
    expect(other.positions().size).toBe(0);
  });
});

describe('GlobalTableStore write-behind', () => {
  it('serves staged rows at once and writes rows and positions to the file only on flush', () => {
    const path = file();
    const store = new GlobalTableStore<{ email: string }>(path, 'users');
    store.stage(0, 2n, [
      { key: 'u-1', row: { email: 'a@x' } },
      { key: 'u-2', row: { email: 'b@x' } },
    ]);
    store.stage(1, 5n, [{ key: 'u-1', row: null }]);
    expect(store.get('u-1')).toBeUndefined();
    expect(store.get('u-2')).toEqual({ email: 'b@x' });
    expect(store.pending).toBe(4);
    // Another connection to the file sees nothing yet: a crash now loses rows and positions.
    const reader = new GlobalTableStore<{ email: string }>(path, 'users');
    expect(reader.get('u-2')).toBeUndefined();
    expect(reader.positions().size).toBe(0);
    store.flush();
    expect(store.pending).toBe(0);
    expect(reader.get('u-2')).toEqual({ email: 'b@x' });
    expect(reader.get('u-1')).toBeUndefined();
    expect([...reader.positions()]).toEqual([
      [0, 2n],
      [1, 5n],
    ]);
    reader.close();
    store.close();
  });

  it('close writes what is staged', () => {
    const path = file();
    const store = new GlobalTableStore<{ n: number }>(path, 'users');
    store.stage(3, 9n, [{ key: 'k', row: { n: 1 } }]);
    store.close();
    const again = new GlobalTableStore<{ n: number }>(path, 'users');
    expect(again.get('k')).toEqual({ n: 1 });
    expect(again.positions().get(3)).toBe(9n);
  });
});
