import Database from 'better-sqlite3';

/**
 * Stands in for a downstream API that honours Idempotency-Key, the way real payment APIs do:
 * the first call with a key produces the effect, repeats only count as calls. It also checks
 * per-key order at the moment each effect first happens.
 */
export class EffectLedger {
  private readonly db: Database.Database;
  private readonly apply: (key: string, idempotencyKey: string, seq: number) => void;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS effects (idempotency_key TEXT PRIMARY KEY, key TEXT, seq INTEGER);
      CREATE TABLE IF NOT EXISTS calls (n INTEGER);
      CREATE TABLE IF NOT EXISTS last_seq (key TEXT PRIMARY KEY, seq INTEGER);
      CREATE TABLE IF NOT EXISTS order_violations (key TEXT, expected INTEGER, got INTEGER);
    `);
    const insertEffect = this.db.prepare(
      'INSERT OR IGNORE INTO effects (idempotency_key, key, seq) VALUES (?, ?, ?)',
    );
    const call = this.db.prepare('INSERT INTO calls (n) VALUES (1)');
    const last = this.db.prepare<[string], { seq: number }>(
      'SELECT seq FROM last_seq WHERE key = ?',
    );
    const setLast = this.db.prepare('INSERT OR REPLACE INTO last_seq (key, seq) VALUES (?, ?)');
    const violation = this.db.prepare('INSERT INTO order_violations VALUES (?, ?, ?)');
    this.apply = this.db.transaction((key: string, idempotencyKey: string, seq: number) => {
      call.run();
      if (insertEffect.run(idempotencyKey, key, seq).changes === 0) return;
      const previous = last.get(key)?.seq ?? -1;
      if (previous !== seq - 1) violation.run(key, previous + 1, seq);
      setLast.run(key, seq);
    });
  }

  call(key: string, idempotencyKey: string, seq: number): void {
    this.apply(key, idempotencyKey, seq);
  }

  summary(): { effects: number; calls: number; violations: number } {
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      effects: one('SELECT COUNT(*) AS n FROM effects'),
      calls: one('SELECT COUNT(*) AS n FROM calls'),
      violations: one('SELECT COUNT(*) AS n FROM order_violations'),
    };
  }

  effectKeys(): string[] {
    return (
      this.db.prepare('SELECT idempotency_key AS k FROM effects').all() as Array<{ k: string }>
    ).map((row) => row.k);
  }

  close(): void {
    this.db.close();
  }
}
