/**
 * What the view knows about one event at one downstream API, gathered from three sources that
 * arrive in any order: the call ledger (HTTP attempts), the retry topics and the dead-letter
 * topic of the API's consumer group. Every field only grows (max / first wins), so folding the
 * same facts twice, or in another order, gives the same row.
 */
export interface ApiFacts {
  /** HTTP attempts recorded in the ledger. */
  attempts: number;
  /** Epoch ms the last recorded attempt ended. */
  lastAttemptAt: number | null;
  lastOutcome: 'SUCCESS' | 'RETRY' | 'FAILED' | null;
  lastErrorCode: string | null;
  /** Epoch ms the first successful attempt ended. */
  doneAt: number | null;
  /** Broker time of the latest retry-topic record, its attempt count and due time. */
  retryAt: number | null;
  retryAttempts: number;
  retryDueAt: number | null;
  /** Broker time of the latest dead-letter record and its id and reason. */
  deadAt: number | null;
  deadLetterId: string | null;
  deadReason: string | null;
  /** When the latest replay of a dead letter was published. */
  replayedAt: number | null;
}

export type ApiFact =
  | {
      kind: 'attempt';
      endedAt: number;
      outcome: 'SUCCESS' | 'RETRY' | 'FAILED';
      errorCode: string | null;
    }
  | { kind: 'retry'; at: number; attempts: number; dueAt: number | null }
  | { kind: 'dead-letter'; at: number; id: string; reason: string }
  | { kind: 'replay'; at: number };

export function noFacts(): ApiFacts {
  return {
    attempts: 0,
    lastAttemptAt: null,
    lastOutcome: null,
    lastErrorCode: null,
    doneAt: null,
    retryAt: null,
    retryAttempts: 0,
    retryDueAt: null,
    deadAt: null,
    deadLetterId: null,
    deadReason: null,
    replayedAt: null,
  };
}

const later = (a: number | null, b: number) => a === null || b >= a;

/** Folds one fact into the facts (pure; the input is not changed). */
export function foldFact(facts: ApiFacts, fact: ApiFact): ApiFacts {
  const next = { ...facts };
  switch (fact.kind) {
    case 'attempt':
      next.attempts += 1;
      if (later(next.lastAttemptAt, fact.endedAt)) {
        next.lastAttemptAt = fact.endedAt;
        next.lastOutcome = fact.outcome;
        next.lastErrorCode = fact.errorCode;
      }
      if (fact.outcome === 'SUCCESS' && (next.doneAt === null || fact.endedAt < next.doneAt))
        next.doneAt = fact.endedAt;
      break;
    case 'retry':
      if (later(next.retryAt, fact.at)) {
        next.retryAt = fact.at;
        next.retryAttempts = Math.max(next.retryAttempts, fact.attempts);
        next.retryDueAt = fact.dueAt;
      }
      break;
    case 'dead-letter':
      if (later(next.deadAt, fact.at)) {
        next.deadAt = fact.at;
        next.deadLetterId = fact.id;
        next.deadReason = fact.reason;
      }
      break;
    case 'replay':
      if (later(next.replayedAt, fact.at)) next.replayedAt = fact.at;
      break;
  }
  return next;
}

export type ApiState =
  | { state: 'done'; timeToDoneMs: number | null; attempts: number; afterReplay: boolean }
  | { state: 'retrying'; attempt: number; nextTryAt: number | null; errorCode: string | null }
  | { state: 'dead-lettered'; deadLetterId: string; reason: string }
  | { state: 'pending' };

/**
 * The one word the events page shows per API. A success is final (the consumer never undoes a
 * done call). Otherwise the newest of the three sources decides: a dead letter newer than every
 * attempt, retry record and replay is "dead-lettered"; any attempt, retry or replay after it is
 * "retrying" (a replay in flight included).
 */
export function apiState(facts: ApiFacts, occurredAt: number | null): ApiState {
  if (facts.doneAt !== null)
    return {
      state: 'done',
      timeToDoneMs: occurredAt === null ? null : Math.max(0, facts.doneAt - occurredAt),
      attempts: facts.attempts,
      afterReplay: facts.deadAt !== null,
    };
  const activity = Math.max(facts.lastAttemptAt ?? 0, facts.retryAt ?? 0, facts.replayedAt ?? 0);
  if (facts.deadAt !== null && facts.deadAt >= activity)
    return {
      state: 'dead-lettered',
      deadLetterId: facts.deadLetterId ?? '?',
      reason: facts.deadReason ?? '?',
    };
  if (activity > 0)
    return {
      state: 'retrying',
      attempt: Math.max(facts.attempts, facts.retryAttempts),
      nextTryAt:
        facts.retryAt !== null && facts.retryAt >= (facts.lastAttemptAt ?? 0)
          ? facts.retryDueAt
          : null,
      errorCode: facts.lastErrorCode,
    };
  return { state: 'pending' };
}
