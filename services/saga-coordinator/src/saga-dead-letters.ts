import type { KafkaMessage } from 'kafkajs';
import type { CoordinatorContext } from './coordinator-options';
import { deadLetterRecord, type DeadLetter } from './dead-letter';
import type { TransactionWork } from './saga-transaction';

/** Where an input record was consumed. */
export interface InputOrigin {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Dead-letters an input in the transaction it would have joined: logged, counted, and its
 * record sent with the transaction's other records (so its offset commits with them).
 */
export function deadLetterInput(
  ctx: CoordinatorContext,
  work: TransactionWork,
  origin: InputOrigin,
  letter: DeadLetter,
): void {
  const { options } = ctx;
  ctx.log.warn(
    {
      sagaId: letter.sagaId,
      saga: letter.saga,
      code: letter.code,
      reason: letter.reason,
      topic: origin.topic,
      partition: origin.partition,
      offset: origin.message.offset,
    },
    'saga input dead-lettered',
  );
  work.records.push({
    topic: options.topics.deadLetter,
    message: deadLetterRecord(
      origin.message,
      { ...origin, consumerGroup: options.groupId },
      letter,
    ),
  });
  options.metrics.deadLetter({
    consumerGroup: options.groupId,
    topic: origin.topic,
    errorCode: letter.code,
  });
}
