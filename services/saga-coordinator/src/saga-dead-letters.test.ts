import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '@fanout/telemetry';
import type { CoordinatorContext, SagaCoordinatorOptions } from './coordinator-options';
import { OwnedPartition } from './owned-partition';
import { Header } from './record-headers';
import { deadLetterInput } from './saga-dead-letters';
import { TransactionWork } from './saga-transaction';

describe('deadLetterInput', () => {
  it('logs, counts and queues the input for the dead-letter topic in the transaction', () => {
    const warnings: unknown[] = [];
    const counted: unknown[] = [];
    const ctx: CoordinatorContext = {
      options: {
        groupId: 'saga-coordinator',
        topics: { deadLetter: 'fanout.saga.dlq' },
        metrics: { deadLetter: (labels: unknown) => counted.push(labels) },
      } as unknown as SagaCoordinatorOptions,
      clock: () => 0,
      log: { warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger,
    };
    const work = new TransactionWork(new OwnedPartition(3));
    const message = { key: Buffer.from('o-1'), value: Buffer.from('x'), offset: '9' };
    deadLetterInput(
      ctx,
      work,
      { topic: 'fanout.saga.replies', partition: 3, message: message as KafkaMessage },
      { code: 'SAGA_UNKNOWN_SAGA', reason: 'never started', sagaId: 'o-1', saga: 'order' },
    );
    expect(warnings).toEqual([
      {
        sagaId: 'o-1',
        saga: 'order',
        code: 'SAGA_UNKNOWN_SAGA',
        reason: 'never started',
        topic: 'fanout.saga.replies',
        partition: 3,
        offset: '9',
      },
    ]);
    expect(counted).toEqual([
      {
        consumerGroup: 'saga-coordinator',
        topic: 'fanout.saga.replies',
        errorCode: 'SAGA_UNKNOWN_SAGA',
      },
    ]);
    expect(work.records).toHaveLength(1);
    const [record] = work.records;
    expect(record!.topic).toBe('fanout.saga.dlq');
    expect(record!.message.headers?.[Header.errorCode]).toBe('SAGA_UNKNOWN_SAGA');
    expect(record!.message.headers?.[Header.consumerGroup]).toBe('saga-coordinator');
  });
});
