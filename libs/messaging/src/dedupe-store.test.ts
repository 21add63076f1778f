import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDedupeStore } from './dedupe-store';

describe('SqliteDedupeStore', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'dedupe-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('remembers handled event ids across a reopen once flushed', () => {
    const dataDir = dir();
    const store = new SqliteDedupeStore({ dataDir, groupId: 'g' });
    store.remember('e1');
    expect(store.seen('e1')).toBe(true);
    store.close();
    const reopened = new SqliteDedupeStore({ dataDir, groupId: 'g' });
    expect(reopened.seen('e1')).toBe(true);
    expect(reopened.seen('e2')).toBe(false);
    reopened.close();
  });

  it('stays within its count and age bounds, forgetting the oldest first', () => {
    let now = 1_000_000;
    const store = new SqliteDedupeStore({
      dataDir: dir(),
      groupId: 'g',
      maxEntries: 3,
      maxAgeMs: 10_000,
      now: () => now,
    });
    for (const id of ['a', 'b', 'c', 'd']) {
      now += 1;
      store.remember(id);
    }
    store.flush();
    store.prune();
    expect(store.seen('a')).toBe(false);
    expect(store.seen('d')).toBe(true);
    now += 20_000;
    store.prune();
    expect(store.size).toBe(0);
    store.close();
  });
});
