import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompensationTombstones } from './compensation-tombstones';

let dir: string;
const open: CompensationTombstones[] = [];

function tombstones(groupId = 'g'): CompensationTombstones {
  const store = new CompensationTombstones({ dataDir: dir, groupId, retentionMs: 60_000 });
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'compensation-tombstones-'));
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CompensationTombstones', () => {
  it('knows only the orders whose compensation was recorded', () => {
    const store = tombstones();
    store.record('order-1');
    expect(store.has('order-1')).toBe(true);
    expect(store.has('order-2')).toBe(false);
  });

  it('a recorded tombstone survives closing and reopening (a consumer restart)', () => {
    const first = tombstones();
    first.record('order-1');
    first.close();
    open.splice(open.indexOf(first), 1);
    expect(tombstones().has('order-1')).toBe(true);
  });

  it('keeps the tombstones of each consumer group apart', () => {
    tombstones('inventory-consumer').record('order-1');
    expect(tombstones('payment-consumer').has('order-1')).toBe(false);
  });
});
