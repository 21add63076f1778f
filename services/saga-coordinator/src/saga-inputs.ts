import type { KafkaMessage } from 'kafkajs';
import { isFanoutError } from '@fanout/errors';
import type { CoordinatorContext } from './coordinator-options';
import type { OwnedPartition } from './owned-partition';
import { readHeaders } from './record-headers';
import { deadLetterInput, type InputOrigin } from './saga-dead-letters';
import { applyReply } from './saga-replies';
import type { AnySagaEngine } from './saga-registry';
import { TransactionWork, type SagaTransactions } from './saga-transaction';
import { startSaga } from './saga-triggers';

/** One decoded input record (a trigger or a reply) and the transaction it joins. */
export interface SagaInput {
  owned: OwnedPartition;
  origin: InputOrigin;
  eventType: string;
  value: Record<string, unknown>;
  /** The input's eventId: the causation id of everything the transition emits. */
  inputId: string;
  headers: Record<string, string>;
  work: TransactionWork;
  now: number;
}

/** What an input does to the saga it starts (a trigger) or moves (a reply). */
export type SagaInputStep = (
  ctx: CoordinatorContext,
  engine: AnySagaEngine,
  input: SagaInput,
) => Promise<void>;

/**
 * The input records of the owned partitions: grouped into transactions per co-partition,
 * decoded, and routed to the saga they start or answer (or dead-lettered).
 */
export class SagaInputs {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly transactions: SagaTransactions,
  ) {}

  /**
   * Group commit: inputs of one co-partition (from any of its topics) that arrive while its
   * lane is busy wait together and go into the next transaction as one, so a loaded partition
   * pays one transaction per round, not one per topic batch.
   */
  submit(owned: OwnedPartition, topic: string, messages: KafkaMessage[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      owned.inbox.push({ topic, messages, resolve, reject });
      if (owned.inbox.length > 1) return; // a drain is already queued and will take it
      void owned.lane.run(() => this.drainInbox(owned)).catch(() => undefined);
    });
  }

  private async drainInbox(owned: OwnedPartition): Promise<void> {
    const entries = owned.inbox.splice(0);
    if (entries.length === 0) return;
    try {
      if (owned.status !== 'ready')
        throw new Error(`partition ${owned.partition} is no longer owned`);
      const work = new TransactionWork(owned);
      const now = this.ctx.clock();
      const offsets = new Map<string, string>();
      let skipped = 0;
      for (const { topic, messages } of entries) {
        for (const message of messages) {
          if (owned.alreadyConsumed(topic, message.offset)) {
            skipped += 1;
            continue;
          }
          await this.handleInput(owned, topic, message, work, now);
        }
        const last = messages[messages.length - 1]!.offset;
        if (!owned.alreadyConsumed(topic, last)) offsets.set(topic, (BigInt(last) + 1n).toString());
      }
      if (skipped > 0)
        this.ctx.log.info(
          { partition: owned.partition, skipped },
          'saga inputs refetched below the committed offset: skipped, already applied',
        );
      if (work.records.length > 0 || work.changes.size > 0 || offsets.size > 0)
        await this.transactions.commit(owned, work, offsets);
      owned.advanceConsumed(offsets);
      for (const entry of entries) entry.resolve();
    } catch (error) {
      for (const entry of entries) entry.reject(error);
      throw error;
    }
  }

  private async handleInput(
    owned: OwnedPartition,
    topic: string,
    message: KafkaMessage,
    work: TransactionWork,
    now: number,
  ): Promise<void> {
    const { ctx } = this;
    const { options } = ctx;
    const origin = { topic, partition: owned.partition, message };
    if (!message.value || message.value.length === 0) {
      return deadLetterInput(ctx, work, origin, {
        code: 'SAGA_UNDECODABLE',
        reason: 'the record has no value',
      });
    }
    let decoded: { eventType: string; value: unknown };
    try {
      decoded = await options.codec.decode(message.value);
    } catch (error) {
      // An unreachable registry passes; bytes that will never decode do not.
      if (isFanoutError(error) && error.retriable) throw error;
      return deadLetterInput(ctx, work, origin, {
        code: 'SAGA_UNDECODABLE',
        reason: `cannot decode: ${error instanceof Error ? error.message : String(error)}`,
        sagaId: message.key?.toString('utf8'),
      });
    }
    const value = decoded.value as Record<string, unknown>;
    const metadata = (value.metadata ?? {}) as Record<string, unknown>;
    const inputId =
      typeof metadata.eventId === 'string'
        ? metadata.eventId
        : `${topic}/${owned.partition}/${message.offset}`;
    const input: SagaInput = {
      owned,
      origin,
      eventType: decoded.eventType,
      value,
      inputId,
      headers: readHeaders(message.headers),
      work,
      now,
    };

    if (topic === options.topics.replies) {
      const answers = options.sagas.answeredBy(decoded.eventType);
      if (answers) return applyReply(ctx, answers, input);
      return deadLetterInput(ctx, work, origin, {
        code: 'SAGA_UNEXPECTED_EVENT',
        reason: `${decoded.eventType} is not a reply of any saga`,
        sagaId: message.key?.toString('utf8'),
      });
    }
    const starts = options.sagas.triggeredBy(decoded.eventType);
    if (starts) return startSaga(ctx, starts, input);
    // Other events of an aggregate topic (e.g. our own OrderConfirmed): not ours to act on.
  }
}
