import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '@fanout/telemetry';
import type { CoordinatorContext, SagaCoordinatorOptions } from './coordinator-options';
import { OwnedPartition } from './owned-partition';
import { SagaInputs } from './saga-inputs';
import type { SagaTransactions, TransactionWork } from './saga-transaction';

const REPLIES = 'fanout.saga.replies';

/** Inputs whose every record is undecodable: each one the coordinator handles is dead-lettered. */
function harness() {
  const commits: { records: number; offsets: Record<string, string> }[] = [];
  const ctx: CoordinatorContext = {
    options: {
      groupId: 'saga-coordinator',
      topics: { deadLetter: 'fanout.saga.dead-letter', replies: REPLIES, inputs: [REPLIES] },
      codec: {
        decode: () => Promise.reject(new Error('not the wire format')),
      },
      metrics: { deadLetter: () => undefined },
    } as unknown as SagaCoordinatorOptions,
    clock: () => 0,
    log: { warn: () => undefined, info: () => undefined } as unknown as Logger,
  };
  const transactions = {
    commit: (_owned: OwnedPartition, work: TransactionWork, offsets?: Map<string, string>) => {
      commits.push({ records: work.records.length, offsets: Object.fromEntries(offsets ?? []) });
      return Promise.resolve();
    },
  } as unknown as SagaTransactions;
  const owned = new OwnedPartition(2);
  owned.status = 'ready';
  return { inputs: new SagaInputs(ctx, transactions), owned, commits };
}

const poison = (offset: number) =>
  ({ key: Buffer.from('o-1'), value: Buffer.from('junk'), offset: String(offset) }) as KafkaMessage;

describe('saga inputs', () => {
  it('dead-letters an input once: a refetch below the committed offset is skipped', async () => {
    const { inputs, owned, commits } = harness();
    await inputs.submit(owned, REPLIES, [poison(5), poison(6)]);
    expect(commits).toEqual([{ records: 2, offsets: { [REPLIES]: '7' } }]);
    // The consumer refetches from an older position (a rejoin that read a not yet stable
    // committed offset): offsets 5 and 6 were applied, 7 is new.
    await inputs.submit(owned, REPLIES, [poison(5), poison(6), poison(7)]);
    expect(commits[1]).toEqual({ records: 1, offsets: { [REPLIES]: '8' } });
  });

  it('commits nothing when a refetched batch was applied whole', async () => {
    const { inputs, owned, commits } = harness();
    owned.consumed.set(REPLIES, 10n);
    await inputs.submit(owned, REPLIES, [poison(8), poison(9)]);
    expect(commits).toEqual([]);
    await inputs.submit(owned, REPLIES, [poison(10)]);
    expect(commits).toEqual([{ records: 1, offsets: { [REPLIES]: '11' } }]);
  });

  it('never moves the consumed position backwards', () => {
    const owned = new OwnedPartition(0);
    owned.advanceConsumed(new Map([[REPLIES, '20']]));
    owned.advanceConsumed(new Map([[REPLIES, '12']]));
    expect(owned.alreadyConsumed(REPLIES, '19')).toBe(true);
    expect(owned.alreadyConsumed(REPLIES, '20')).toBe(false);
    expect(owned.alreadyConsumed('other', '0')).toBe(false);
  });
});
