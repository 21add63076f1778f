import type { Span } from '@opentelemetry/api';
import type { Message, Producer } from 'kafkajs';
import { retryConcurrentTransactions } from './concurrent-transactions';
import type { CoordinatorContext } from './coordinator-options';
import type { OwnedPartition } from './owned-partition';
import { failSpan } from './saga-tracing';
import type { StoredSaga } from './stored-saga';

export interface PendingRecord {
  topic: string;
  message: Message;
}

/** What one transaction will do: the records to send and the sagas to make current after commit. */
export class TransactionWork {
  readonly records: PendingRecord[] = [];
  readonly changes = new Map<string, StoredSaga | null>();
  readonly finished: { saga: string; outcome: string; seconds: number }[] = [];
  readonly spans: Span[] = [];

  constructor(private readonly owned: OwnedPartition) {}

  get(key: string): StoredSaga | undefined {
    if (this.changes.has(key)) return this.changes.get(key) ?? undefined;
    return this.owned.sagas.get(key);
  }
}

export interface SagaTransactionsDeps {
  /** The next deadline of a saga, for the partition's timers. */
  deadlineOf: (saga: StoredSaga) => number | undefined;
  /** A transaction failed: memory may no longer match the changelog, so the partition reloads. */
  reload: (owned: OwnedPartition) => void;
}

/** Commits a partition's TransactionWork through its transactional producer. */
export class SagaTransactions {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly deps: SagaTransactionsDeps,
  ) {}

  /** One transaction: the records, the offsets (if any), then the new state becomes current. */
  async commit(
    owned: OwnedPartition,
    work: TransactionWork,
    offsets?: ReadonlyMap<string, string>,
  ): Promise<void> {
    const { options, clock, log } = this.ctx;
    const producer = owned.producer as Producer;
    const began = clock();
    const phases: Record<string, number> = {};
    const transaction = await producer.transaction();
    try {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of work.records) {
        const list = byTopic.get(topic) ?? [];
        list.push(message);
        byTopic.set(topic, list);
      }
      phases.begin = clock() - began;
      if (byTopic.size > 0) {
        await transaction.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      phases.send = clock() - began;
      if (offsets && offsets.size > 0) {
        const topics = [...offsets].map(([topic, offset]) => ({
          topic,
          partitions: [{ partition: owned.partition, offset }],
        }));
        await retryConcurrentTransactions(() =>
          transaction.sendOffsets({ consumerGroupId: options.groupId, topics }),
        );
      }

      phases.offsets = clock() - began;
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      for (const span of work.spans) {
        failSpan(span, 'SAGA_TRANSACTION_FAILED', String(error));
        span.end();
      }
      // Memory may no longer match the changelog (or another instance fenced us): reload.
      log.error(
        { err: error, partition: owned.partition },
        'saga transaction failed; partition reloads',
      );
      this.deps.reload(owned);
      throw error;
    }
    owned.apply(work.changes, this.deps.deadlineOf);
    log.debug(
      {
        partition: owned.partition,
        records: work.records.length,
        sagas: work.changes.size,
        ms: clock() - began,
        phases,
      },
      'saga transaction committed',
    );
    for (const span of work.spans) span.end();
    for (const f of work.finished)
      options.metrics.sagaFinished({ saga: f.saga, outcome: f.outcome }, f.seconds);
  }
}
