/** One side effect an API performed (a write that changed its state). */
export interface Effect {
  api: string;
  operation: string;
  /** The Idempotency-Key (or a bulk item's key) that caused it. */
  idempotencyKey: string;
  /**
   * The business thing affected, e.g. `welcome:user-1` for an email or `order-9` for a
   * payment authorization: tells duplicates apart even if a client sent two different keys.
   */
  subject: string;
  resourceId: string | undefined;
}

interface KeyRecord {
  api: string;
  idempotencyKey: string;
  operations: string[];
  subjects: string[];
  effects: number;
}

/**
 * What tests read to prove "no duplicate effect": for each idempotency key, how many distinct
 * effects it produced (a correct client and API give 1), and per subject how many effects hit
 * it. Replays and no-op compensations are not effects.
 */
export class EffectsRecord {
  private readonly byKey = new Map<string, KeyRecord>();
  private readonly bySubject = new Map<string, number>();
  private total = 0;

  record(effect: Effect): void {
    this.total += 1;
    const id = `${effect.api}\u0000${effect.idempotencyKey}`;
    let entry = this.byKey.get(id);
    if (!entry) {
      entry = {
        api: effect.api,
        idempotencyKey: effect.idempotencyKey,
        operations: [],
        subjects: [],
        effects: 0,
      };
      this.byKey.set(id, entry);
    }
    entry.effects += 1;
    if (!entry.operations.includes(effect.operation)) entry.operations.push(effect.operation);
    if (!entry.subjects.includes(effect.subject)) entry.subjects.push(effect.subject);
    const subjectId = `${effect.api}\u0000${effect.operation}\u0000${effect.subject}`;
    this.bySubject.set(subjectId, (this.bySubject.get(subjectId) ?? 0) + 1);
  }

  clear(api?: string): void {
    if (!api) {
      this.byKey.clear();
      this.bySubject.clear();
      this.total = 0;
      return;
    }
    for (const [id, entry] of this.byKey) {
      if (entry.api === api) {
        this.total -= entry.effects;
        this.byKey.delete(id);
      }
    }
    for (const id of this.bySubject.keys()) {
      if (id.startsWith(`${api}\u0000`)) this.bySubject.delete(id);
    }
  }

  /** The report for GET /_admin/effects; `limit` bounds the listed keys, never the totals. */
  report(filter: { api?: string; key?: string; subject?: string; limit: number }) {
    const keys: KeyRecord[] = [];
    let keyCount = 0;
    let effects = 0;
    let duplicateKeys = 0;
    for (const entry of this.byKey.values()) {
      if (filter.api && entry.api !== filter.api) continue;
      if (filter.key && entry.idempotencyKey !== filter.key) continue;
      if (filter.subject && !entry.subjects.includes(filter.subject)) continue;
      keyCount += 1;
      effects += entry.effects;
      if (entry.effects > 1) duplicateKeys += 1;
      if (keys.length < filter.limit) keys.push(entry);
    }
    const subjects: Array<{ api: string; operation: string; subject: string; effects: number }> =
      [];
    let subjectCount = 0;
    let duplicateSubjects = 0;
    for (const [id, count] of this.bySubject) {
      const [api, operation, subject] = id.split('\u0000') as [string, string, string];
      if (filter.api && api !== filter.api) continue;
      if (filter.subject && subject !== filter.subject) continue;
      subjectCount += 1;
      if (count > 1) {
        duplicateSubjects += 1;
        if (subjects.length < filter.limit)
          subjects.push({ api, operation, subject, effects: count });
      }
    }
    return {
      totals: { effects, keys: keyCount, duplicateKeys, subjects: subjectCount, duplicateSubjects },
      keys,
      duplicateSubjects: subjects,
    };
  }
}
