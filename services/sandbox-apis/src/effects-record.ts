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

/** One API's effects, with its totals kept up to date on every record (no scan to report them). */
class ApiEffects {
  constructor(readonly name: string) {}
  readonly byKey = new Map<string, KeyRecord>();
  /** By `operation\0subject`. */
  readonly bySubject = new Map<string, number>();
  /** Subject ids hit more than once: the usual answer lists them, and it is usually empty. */
  readonly duplicateSubjectIds = new Set<string>();
  effects = 0;
  duplicateKeys = 0;
}

type SubjectReport = { api: string; operation: string; subject: string; effects: number };

/**
 * What tests read to prove "no duplicate effect": for each idempotency key, how many distinct
 * effects it produced (a correct client and API give 1), and per subject how many effects hit
 * it. Replays and no-op compensations are not effects.
 *
 * Kept per API with running totals, so a report without a key or subject filter costs as much
 * as the keys it lists, not a scan of every effect: load benchmarks poll the totals while tens
 * of thousands of effects accumulate, on the cores the APIs serve from.
 */
export class EffectsRecord {
  private readonly apis = new Map<string, ApiEffects>();

  record(effect: Effect): void {
    let api = this.apis.get(effect.api);
    if (!api) {
      api = new ApiEffects(effect.api);
      this.apis.set(effect.api, api);
    }
    api.effects += 1;
    let entry = api.byKey.get(effect.idempotencyKey);
    if (!entry) {
      entry = {
        api: effect.api,
        idempotencyKey: effect.idempotencyKey,
        operations: [],
        subjects: [],
        effects: 0,
      };
      api.byKey.set(effect.idempotencyKey, entry);
    }
    entry.effects += 1;
    if (entry.effects === 2) api.duplicateKeys += 1;
    if (!entry.operations.includes(effect.operation)) entry.operations.push(effect.operation);
    if (!entry.subjects.includes(effect.subject)) entry.subjects.push(effect.subject);
    const subjectId = `${effect.operation}\u0000${effect.subject}`;
    const hits = (api.bySubject.get(subjectId) ?? 0) + 1;
    api.bySubject.set(subjectId, hits);
    if (hits === 2) api.duplicateSubjectIds.add(subjectId);
  }

  clear(api?: string): void {
    if (api) this.apis.delete(api);
    else this.apis.clear();
  }

  /** The report for GET /_admin/effects; `limit` bounds the listed keys, never the totals. */
  report(filter: { api?: string; key?: string; subject?: string; limit: number }) {
    const apis = filter.api
      ? [this.apis.get(filter.api)].filter((a): a is ApiEffects => a !== undefined)
      : [...this.apis.values()];
    const found = emptyReport();
    // An empty key or subject (`?key=`) filters nothing, as before.
    const unfiltered = !filter.key && !filter.subject;
    for (const api of apis) {
      if (unfiltered) addRunningTotals(found, api, filter.limit);
      else addMatches(found, api, filter);
    }
    return found;
  }
}

type Filter = { key?: string; subject?: string; limit: number };

/** An empty report; its shape is the answer of GET /_admin/effects. */
function emptyReport() {
  return {
    totals: { effects: 0, keys: 0, duplicateKeys: 0, subjects: 0, duplicateSubjects: 0 },
    keys: [] as KeyRecord[],
    duplicateSubjects: [] as SubjectReport[],
  };
}

type Report = ReturnType<typeof emptyReport>;

/** No key or subject filter: the running totals, and the first keys and duplicate subjects. */
function addRunningTotals(report: Report, api: ApiEffects, limit: number): void {
  const { totals } = report;
  totals.effects += api.effects;
  totals.keys += api.byKey.size;
  totals.duplicateKeys += api.duplicateKeys;
  totals.subjects += api.bySubject.size;
  totals.duplicateSubjects += api.duplicateSubjectIds.size;
  for (const entry of api.byKey.values()) {
    if (report.keys.length >= limit) break;
    report.keys.push(entry);
  }
  for (const id of api.duplicateSubjectIds) {
    if (report.duplicateSubjects.length >= limit) break;
    report.duplicateSubjects.push(subjectReport(api, id, api.bySubject.get(id) ?? 0));
  }
}

/** A key or subject filter: a scan of this API's keys and subjects. */
function addMatches(report: Report, api: ApiEffects, filter: Filter): void {
  const { totals } = report;
  for (const entry of api.byKey.values()) {
    if (filter.key && entry.idempotencyKey !== filter.key) continue;
    if (filter.subject && !entry.subjects.includes(filter.subject)) continue;
    totals.keys += 1;
    totals.effects += entry.effects;
    if (entry.effects > 1) totals.duplicateKeys += 1;
    if (report.keys.length < filter.limit) report.keys.push(entry);
  }
  for (const [id, count] of api.bySubject) {
    if (filter.subject && id.slice(id.indexOf('\u0000') + 1) !== filter.subject) continue;
    totals.subjects += 1;
    if (count <= 1) continue;
    totals.duplicateSubjects += 1;
    if (report.duplicateSubjects.length < filter.limit)
      report.duplicateSubjects.push(subjectReport(api, id, count));
  }
}

function subjectReport(api: ApiEffects, id: string, effects: number): SubjectReport {
  const at = id.indexOf('\u0000');
  return { api: api.name, operation: id.slice(0, at), subject: id.slice(at + 1), effects };
}
