import type { SqliteDatabase } from '@fanout/service-kit';
import type { User } from './user';

interface UserRow {
  id: string;
  email: string;
  name: string;
  marketing_consent: number;
  locale: string;
  created_at: string;
}

/** Users in SQLite. Emails are unique case-insensitively (`email_key`), as users type them. */
export class UserRepository {
  private readonly insertUser;
  private readonly selectById;
  private readonly selectAll;

  constructor(db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        marketing_consent INTEGER NOT NULL,
        locale TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`);
    this.insertUser = db.prepare(
      `INSERT INTO users (id, email, email_key, name, marketing_consent, locale, created_at)
       VALUES (@id, @email, @emailKey, @name, @marketingConsent, @locale, @createdAt)`,
    );
    this.selectById = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
    this.selectAll = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY created_at');
  }

  /** Every user, oldest first (the one-time UserContact backfill). */
  *all(): Generator<User> {
    for (const row of this.selectAll.iterate()) yield toUser(row);
  }

  /** Throws a SQLite unique violation when the email is taken; call inside a transaction. */
  insert(user: User): void {
    this.insertUser.run({
      id: user.id,
      email: user.email,
      emailKey: user.email.toLowerCase(),
      name: user.name,
      marketingConsent: user.marketingConsent ? 1 : 0,
      locale: user.locale,
      createdAt: user.createdAt,
    });
  }

  findById(id: string): User | undefined {
    const row = this.selectById.get(id);
    return row === undefined ? undefined : toUser(row);
  }
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    marketingConsent: row.marketing_consent === 1,
    locale: row.locale,
    createdAt: row.created_at,
  };
}
