import { openDatabase } from './database';
import type { SqliteDatabase } from './database';

/** One row change read from the table topic: a value, or `null` for a tombstone (delete). */
export interface TableChange<R> {
  key: string;
  row: R | null;
}

/**
 * A global table's local copy: the rows and, per partition, the next offset to read, in one
 * SQLite file. Rows and positions change in one transaction, so after a crash the file holds
 * exactly the rows of the records before its positions: a restart reads on from there instead
 * of from the beginning, and reads no record twice into the rows.
 */
export class GlobalTableStore<R> {
  private readonly db: SqliteDatabase;
  private readonly upsertRow;
  private readonly deleteRow;
  private readonly selectRow;
  private readonly setPosition;

  constructor(file: string, topic: string) {
    this.db = openDatabase(file, { synchronous: 'NORMAL' });
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS table_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS table_rows (key TEXT PRIMARY KEY, row TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS table_positions (
        partition INTEGER PRIMARY KEY, next_offset TEXT NOT NULL)`);
    const stored = this.db
      .prepare<[], { value: string }>(`SELECT value FROM table_meta WHERE name = 'topic'`)
      .get();
    // Another topic's rows are not this table's: start over.
    if (stored && stored.value !== topic) this.reset();
    this.db
      .prepare(
        `INSERT INTO table_meta (name, value) VALUES ('topic', ?)
                ON CONFLICT(name) DO UPDATE SET value = excluded.value`,
      )
      .run(topic);
    this.upsertRow = this.db.prepare<[string, string]>(
      `INSERT INTO table_rows (key, row) VALUES (?, ?)
       ON CONFLICT(key) DO UPDATE SET row = excluded.row`,
    );
    this.deleteRow = this.db.prepare<[string]>('DELETE FROM table_rows WHERE key = ?');
    this.selectRow = this.db.prepare<[string], { row: string }>(
      'SELECT row FROM table_rows WHERE key = ?',
    );
    this.setPosition = this.db.prepare<[number, string]>(
      `INSERT INTO table_positions (partition, next_offset) VALUES (?, ?)
       ON CONFLICT(partition) DO UPDATE SET next_offset = excluded.next_offset`,
    );
  }

  /** The next offset to read per partition (absent: read the partition from its beginning). */
  positions(): Map<number, bigint> {
    const rows = this.db
      .prepare<
        [],
        { partition: number; next_offset: string }
      >('SELECT partition, next_offset FROM table_positions')
      .all();
    return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
  }

  get(key: string): R | undefined {
    const found = this.selectRow.get(key);
    return found === undefined ? undefined : (JSON.parse(found.row) as R);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM table_rows').get() as { n: number }).n;
  }

  /** Applies the changes of one batch and moves the partition's position, atomically. */
  apply(partition: number, nextOffset: bigint, changes: readonly TableChange<R>[]): void {
    this.db.transaction(() => {
      for (const change of changes) {
        if (change.row === null) this.deleteRow.run(change.key);
        else this.upsertRow.run(change.key, JSON.stringify(change.row));
      }
      this.setPosition.run(partition, nextOffset.toString());
    })();
  }

  /** Forgets every row and position (the topic was recreated, or is another topic). */
  reset(): void {
    this.db.exec('DELETE FROM table_rows; DELETE FROM table_positions;');
  }

  close(): void {
    this.db.close();
  }
}
