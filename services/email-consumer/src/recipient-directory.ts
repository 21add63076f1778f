import { join } from 'node:path';
import { openDatabase } from '@fanout/service-kit';
import type { SqliteDatabase } from '@fanout/service-kit';

export interface Recipient {
  email: string;
  name: string;
  locale: string;
}

/**
 * Where the email consumer remembers whom to write to: order events carry only the customer id,
 * so each UserRegistered leaves its address here (a local SQLite file under DATA_DIR, personal
 * data that never leaves the service). Per instance: see README for scaling out.
 */
export class RecipientDirectory {
  private readonly db: SqliteDatabase;
  // Prepared once: preparing per call cost more CPU than the insert itself (issue 15).
  private readonly upsert;
  private readonly select;

  constructor(dataDir: string, file = 'email-consumer-recipients.db') {
    this.db = openDatabase(join(dataDir, file), { synchronous: 'NORMAL' });
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS recipients (
         user_id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, locale TEXT NOT NULL)`,
    );
    this.upsert = this.db.prepare<[string, string, string, string]>(
      `INSERT INTO recipients (user_id, email, name, locale) VALUES (?, ?, ?, ?)
       ON CONFLICT(user_id) DO UPDATE SET email = excluded.email, name = excluded.name,
         locale = excluded.locale`,
    );
    this.select = this.db.prepare<[string], Recipient>(
      'SELECT email, name, locale FROM recipients WHERE user_id = ?',
    );
  }

  remember(userId: string, recipient: Recipient): void {
    this.upsert.run(userId, recipient.email, recipient.name, recipient.locale);
  }

  find(userId: string): Recipient | undefined {
    return this.select.get(userId);
  }

  close(): void {
    this.db.close();
  }
}
