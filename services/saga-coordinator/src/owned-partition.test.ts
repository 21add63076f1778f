import { describe, expect, it } from 'vitest';
import { OwnedPartition } from './owned-partition';
import type { StoredSaga } from './stored-saga';

const saga = (sagaId: string, deadline?: number): StoredSaga => ({
  state: { sagaId, deadline } as unknown as StoredSaga['state'],
  trace: {},
  correlationId: sagaId,
});
const deadlineOf = (s: StoredSaga) => (s.state as unknown as { deadline?: number }).deadline;

describe('owned partition', () => {
  it('knows which sagas are due once a committed transaction is applied', () => {
    const owned = new OwnedPartition(0);
    owned.apply(
      new Map([
        ['order:a', saga('a', 100)],
        ['order:b', saga('b', 300)],
        ['order:c', saga('c')],
      ]),
      deadlineOf,
    );
    expect(owned.due(200)).toEqual(['order:a']);
    expect(owned.hasDue(50)).toBe(false);
    expect(owned.sagas.size).toBe(3);
  });

  it('drops a finished saga from the timers and a purged saga entirely', () => {
    const owned = new OwnedPartition(0);
    owned.apply(new Map([['order:a', saga('a', 100)]]), deadlineOf);
    owned.apply(new Map([['order:a', saga('a')]]), deadlineOf);
    expect(owned.hasDue(1_000)).toBe(false);
    owned.apply(new Map([['order:a', null]]), deadlineOf);
    expect(owned.sagas.has('order:a')).toBe(false);
  });
});
