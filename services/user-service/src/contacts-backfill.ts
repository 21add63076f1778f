import type { SqliteDatabase, SqliteOutbox } from '@fanout/service-kit';
import { userContactRow } from './user-registered';
import type { UserRepository } from './user-repository';

/**
 * Once per database: a UserContact row for every user stored before the user table topic
 * existed, so the views that read it know every user and not only the new ones. Runs in one
 * transaction with its marker; a second start finds the marker and does nothing. Rows sent twice
 * (a crash after the relay sent some) are harmless: the topic is compacted by user id.
 */
export function backfillUserContacts(
  db: SqliteDatabase,
  deps: { users: UserRepository; outbox: SqliteOutbox; contactsTopic: string },
): number {
  db.exec(
    `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`,
  );
  const name = `user-contacts-backfill:${deps.contactsTopic}`;
  return db.transaction(() => {
    if (db.prepare('SELECT 1 FROM migrations WHERE name = ?').get(name)) return 0;
    let rows = 0;
    for (const user of deps.users.all()) {
      deps.outbox.append(userContactRow(user, deps.contactsTopic));
      rows += 1;
    }
    db.prepare('INSERT INTO migrations (name, applied_at) VALUES (?, ?)').run(
      name,
      new Date().toISOString(),
    );
    return rows;
  })();
}
