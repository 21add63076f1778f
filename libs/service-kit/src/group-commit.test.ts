import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import type { SqliteDatabase } from './database';
import { GroupCommit } from './group-commit';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A file database and a second connection to it, which sees only committed rows. */
function databases(): { db: SqliteDatabase; reader: SqliteDatabase } {
  const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'test.db'));
  db.exec('CREATE TABLE items (name TEXT PRIMARY KEY)');
  return { db, reader: openDatabase(join(dir, 'test.db')) };
}

const count = (db: SqliteDatabase): number =>
  (db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n;

describe('GroupCommit', () => {
  it('commits the work submitted in one turn in one transaction and resolves each result', async () => {
    const { db } = databases();
    const group = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
    const results = await Promise.all(
      ['a', 'b', 'c'].map((name) => group.run(() => (insert.run(name), name.toUpperCase()))),
    );
    expect(results).toEqual(['A', 'B', 'C']);
    expect(group.stats).toEqual({ batches: 1, pieces: 3 });
    expect(count(db)).toBe(3);
  });

  it('settles a piece only after the commit: another connection already sees its row', async () => {
    const { db, reader } = databases();
    const group = new GroupCommit(db);
    let seenInsideTransaction = -1;
    await group.run(() => {
      db.prepare('INSERT INTO items (name) VALUES (?)').run('x');
      seenInsideTransaction = count(reader);
    });
    expect(seenInsideTransaction).toBe(0);
    expect(count(reader)).toBe(1);
  });

  it('rolls back only the piece that throws: it alone is rejected, the others are stored', async () => {
    const { db, reader } = databases();
    const group = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
    const outcomes = await Promise.allSettled([
      group.run(() => insert.run('one')),
      group.run(() => {
        insert.run('two');
        insert.run('one'); // a unique violation after a write of its own
      }),
      group.run(() => insert.run('three')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    const names = reader.prepare('SELECT name FROM items ORDER BY name').pluck().all();
    expect(names).toEqual(['one', 'three']);
    expect(group.stats).toEqual({ batches: 1, pieces: 3 });
  });

  it('rejects every piece of the batch when the commit fails, and stores none of them', async () => {
    const { db, reader } = databases();
    // A deferred foreign key is checked at COMMIT: the whole group transaction fails there.
    db.exec(`CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE children (parent TEXT REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)`);
    const group = new GroupCommit(db);
    const outcomes = await Promise.allSettled([
      group.run(() => db.prepare('INSERT INTO items (name) VALUES (?)').run('kept?')),
      group.run(() => db.prepare('INSERT INTO children (parent) VALUES (?)').run('missing')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(count(reader)).toBe(0);
    expect(db.inTransaction).toBe(false);
    // The next batch works again.
    await group.run(() => db.prepare('INSERT INTO items (name) VALUES (?)').run('after'));
    expect(count(reader)).toBe(1);
  });

  it('splits a burst larger than maxBatch into several transactions, in submission order', async () => {
    const { db } = databases();
    const group = new GroupCommit(db, { maxBatch: 4 });
    const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
    const names = Array.from({ length: 10 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((name) => group.run(() => insert.run(name))));
    expect(group.stats).toEqual({ batches: 3, pieces: 10 });
    expect(db.prepare('SELECT name FROM items ORDER BY rowid').pluck().all()).toEqual(names);
  });
});
