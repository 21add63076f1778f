import { describe, expect, it } from 'vitest';
import { OwnedPartition } from './owned-partition';
import { TransactionWork } from './saga-transaction';
import type { StoredSaga } from './stored-saga';

const saga = (sagaId: string): StoredSaga => ({
  state: { sagaId } as unknown as StoredSaga['state'],
  trace: {},
  correlationId: sagaId,
});

describe('TransactionWork', () => {
  it('reads a saga as the partition holds it until the transaction changes it', () => {
    const owned = new OwnedPartition(0);
    owned.sagas.set('order:a', saga('a'));
    const work = new TransactionWork(owned);
    expect(work.get('order:a')?.state.sagaId).toBe('a');
    const moved = saga('a');
    work.changes.set('order:a', moved);
    expect(work.get('order:a')).toBe(moved);
    expect(owned.sagas.get('order:a')).not.toBe(moved);
  });

  it('reads a saga purged in this transaction as gone', () => {
    const owned = new OwnedPartition(0);
    owned.sagas.set('order:a', saga('a'));
    const work = new TransactionWork(owned);
    work.changes.set('order:a', null);
    expect(work.get('order:a')).toBeUndefined();
  });
});
