import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

/** Counts rows in a service's SQLite file, read-only, while the service runs (WAL allows it). */
export function countRows(file: string, table: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}
