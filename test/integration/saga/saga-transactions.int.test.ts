import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { createTopicsReliably } from '@fanout/contracts';
import {
  OwnedPartition,
  SagaTransactions,
  TransactionWork,
} from '@fanout/saga-coordinator/coordinator';
import type {
  CoordinatorContext,
  SagaCoordinatorOptions,
} from '@fanout/saga-coordinator/coordinator';
import { createLogger } from '@fanout/telemetry';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

/**
 * The coordinator's transactions against the real broker. Right after a commit, the broker
 * answers the next transaction's first request with CONCURRENT_TRANSACTIONS while it writes the
 * markers; kafkajs retries that for records but not for offsets, so a transaction holding only
 * offsets (inputs that emit nothing) failed about every other time it followed another one.
 */
describe('saga transactions', () => {
  const kafka = new Kafka({
    clientId: 'saga-transactions-test',
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName('saga-txn');
  const groupId = uniqueName('saga-txn-group');
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopicsReliably(admin, [{ topic, numPartitions: 1 }]);
    producer = kafka.producer({
      transactionalId: uniqueName('saga-txn-id'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it('commits back-to-back transactions, every other one holding only offsets', async () => {
    const failures: unknown[] = [];
    const ctx: CoordinatorContext = {
      options: { groupId } as SagaCoordinatorOptions,
      clock: Date.now,
      log: createLogger({ name: 'saga-transactions-test', level: 'silent' }),
    };
    const transactions = new SagaTransactions(ctx, {
      deadlineOf: () => undefined,
      reload: () => failures.push('reloaded'),
    });
    const owned = new OwnedPartition(0);
    owned.producer = producer;
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      const work = new TransactionWork(owned);
      if (i % 2 === 0) work.records.push({ topic, message: { key: 'k', value: `round ${i}` } });
      await transactions
        .commit(owned, work, new Map([[topic, String(i + 1)]]))
        .catch((error: unknown) => failures.push(error));
    }
    expect(failures).toEqual([]);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions[0]?.offset).toBe(String(rounds));
  });
});
