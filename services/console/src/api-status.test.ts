import { describe, expect, it } from 'vitest';
import { apiState, foldFact, noFacts } from './api-status';
import type { ApiFact } from './api-status';

const fold = (...facts: ApiFact[]) => facts.reduce(foldFact, noFacts());

describe('api status', () => {
  it('an event with no facts at an API is pending', () => {
    expect(apiState(noFacts(), 1_000)).toEqual({ state: 'pending' });
  });

  it('a successful attempt is done, timed from when the event occurred', () => {
    const facts = fold(
      { kind: 'attempt', endedAt: 1_200, outcome: 'RETRY', errorCode: 'FANOUT_API_SERVER_ERROR' },
      { kind: 'attempt', endedAt: 1_450, outcome: 'SUCCESS', errorCode: null },
    );
    expect(apiState(facts, 1_000)).toEqual({
      state: 'done',
      timeToDoneMs: 450,
      attempts: 2,
      afterReplay: false,
    });
  });

  it('a retry record makes the event retrying with its attempt and next try', () => {
    const facts = fold(
      { kind: 'attempt', endedAt: 1_100, outcome: 'FAILED', errorCode: 'FANOUT_API_SERVER_ERROR' },
      { kind: 'retry', at: 1_150, attempts: 3, dueAt: 6_150 },
    );
    expect(apiState(facts, 1_000)).toEqual({
      state: 'retrying',
      attempt: 3,
      nextTryAt: 6_150,
      errorCode: 'FANOUT_API_SERVER_ERROR',
    });
  });

  it('a dead letter newer than every attempt is dead-lettered', () => {
    const facts = fold(
      { kind: 'attempt', endedAt: 1_100, outcome: 'FAILED', errorCode: 'FANOUT_API_BAD_RESPONSE' },
      { kind: 'dead-letter', at: 1_120, id: 'crm-consumer.dlq:0:4', reason: 'non-retriable' },
    );
    expect(apiState(facts, 1_000)).toEqual({
      state: 'dead-lettered',
      deadLetterId: 'crm-consumer.dlq:0:4',
      reason: 'non-retriable',
    });
  });

  it('a replay after the dead letter is retrying until it succeeds, then done after replay', () => {
    const dead = fold(
      { kind: 'attempt', endedAt: 1_100, outcome: 'FAILED', errorCode: 'X' },
      { kind: 'dead-letter', at: 1_120, id: 'd:0:1', reason: 'non-retriable' },
      { kind: 'replay', at: 5_000 },
    );
    expect(apiState(dead, 1_000).state).toBe('retrying');
    const done = foldFact(dead, {
      kind: 'attempt',
      endedAt: 5_100,
      outcome: 'SUCCESS',
      errorCode: null,
    });
    expect(apiState(done, 1_000)).toMatchObject({ state: 'done', afterReplay: true });
  });

  it('facts folded in another order give the same state', () => {
    const facts: ApiFact[] = [
      { kind: 'dead-letter', at: 1_120, id: 'd:0:1', reason: 'non-retriable' },
      { kind: 'attempt', endedAt: 1_100, outcome: 'FAILED', errorCode: 'X' },
      { kind: 'retry', at: 1_050, attempts: 1, dueAt: 1_090 },
    ];
    expect(apiState(fold(...facts), 0)).toEqual(apiState(fold(...[...facts].reverse()), 0));
  });
});
