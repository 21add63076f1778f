import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /**
   * FULL fsyncs every commit, so a 2xx survives power loss, not just a process crash.
   * NORMAL (WAL) survives process crashes and skips the fsync per commit. Default NORMAL.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/** Opens (creating if needed) a SQLite file in WAL mode, the way every domain service uses it. */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    ((error as { code: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
      (error as { code: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}
