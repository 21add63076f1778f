import { newMetadata } from '@fanout/contracts';
import type { ApiCallAttempted, ApiCallOutcome, EventCodec } from '@fanout/contracts';
import type { CallAttempt, CallLedger } from '@fanout/downstream';
import { Headers } from '@fanout/messaging';
import type { Logger } from '@fanout/telemetry';
import type { Kafka, Producer } from 'kafkajs';
import { RetriableError } from '@fanout/errors';
import { currentCallScope } from './call-scope';

export const CALL_LEDGER_EVENT_TYPE = 'fanout.audit.ApiCallAttempted';

export interface CallLedgerPublisherOptions {
  kafka: Kafka;
  codec: Pick<EventCodec, 'encode'>;
  /** The consumer making the calls, e.g. crm-consumer. */
  service: string;
  topic: string;
  logger: Logger;
  /** Records kept while Kafka is slow or down; beyond it the oldest are dropped (and counted). */
  maxBuffered?: number;
  flushIntervalMs?: number;
  maxBatch?: number;
}

const OUTCOME: Record<CallAttempt['outcome'], ApiCallOutcome> = {
  success: 'SUCCESS',
  retry: 'RETRY',
  failed: 'FAILED',
};

/**
 * The call ledger: every attempt of the downstream client becomes an ApiCallAttempted event on
 * the audit topic, keyed by the aggregate id of the event served.
 *
 * Guarantee: recording never blocks or fails the business call. `record` only appends to a
 * bounded buffer; a timer publishes it in batches with its own idempotent producer (no spans, so
 * audit traffic does not clutter the business traces). The consumer kit commits an event's
 * offset only after `flushRecorded` saw its attempts published, so a crash never loses a record
 * of a committed event (the event is redelivered and its attempts recorded again). While Kafka
 * or the registry is down the buffer holds (and commits wait); when it overflows, the oldest
 * records are dropped, counted and logged. Shutdown flushes what is left within its deadline.
 */
export class CallLedgerPublisher implements CallLedger {
  private readonly options: CallLedgerPublisherOptions;
  private readonly producer: Producer;
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private buffer: ApiCallAttempted[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private connected = false;
  private failingSince: number | null = null;
  private droppedTotal = 0;
  private publishedTotal = 0;
  private recordedTotal = 0;

  constructor(options: CallLedgerPublisherOptions) {
    this.options = options;
    this.maxBuffered = options.maxBuffered ?? 50_000;
    this.maxBatch = options.maxBatch ?? 500;
    this.producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  /** Records published and dropped so far (for /readyz details and tests). */
  get stats(): { buffered: number; published: number; dropped: number } {
    return {
      buffered: this.buffer.length,
      published: this.publishedTotal,
      dropped: this.droppedTotal,
    };
  }

  record(attempt: CallAttempt): void {
    const scope = currentCallScope();
    const eventIds = scope ? [...scope.eventIds] : [];
    const subject =
      scope?.subject ?? attempt.idempotencyKey ?? `${attempt.api}.${attempt.operation}`;
    this.buffer.push({
      metadata: newMetadata({
        producer: this.options.service,
        ...(scope?.correlationId ? { correlationId: scope.correlationId } : {}),
        causationId: eventIds.length === 1 ? eventIds[0]! : null,
        occurredAt: new Date(attempt.startedAt + attempt.latencyMs),
      }),
      service: this.options.service,
      api: attempt.api,
      operation: attempt.operation,
      idempotencyKey: attempt.idempotencyKey ?? null,
      eventIds,
      subject,
      status: attempt.status ?? 0,
      outcome: OUTCOME[attempt.outcome],
      errorCode: attempt.errorCode ?? null,
      latencyMs: Math.min(2_147_483_647, Math.round(attempt.latencyMs)),
      attempt: attempt.attempt,
      traceId: attempt.traceId ?? null,
      startedAt: new Date(attempt.startedAt),
    });
    this.recordedTotal += 1;
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, excess);
      this.droppedTotal += excess;
      this.options.logger.warn(
        { dropped: excess, droppedTotal: this.droppedTotal },
        'call ledger buffer full: oldest records dropped',
      );
    }
    if (this.buffer.length >= this.maxBatch && this.connected) void this.flush();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 250);
    this.timer.unref();
  }

  /** Publishes what is buffered; resolves when this round is done (never rejects). */
  flush(): Promise<void> {
    this.flushing ??= this.publishBuffered().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /**
   * Resolves once every record made before this call is published (or was dropped on
   * overflow, which is logged); rejects (FANOUT_PUBLISH_FAILED, retriable) when a round
   * publishes nothing. The consumer runtime calls it before committing offsets, so the
   * attempts of every committed event are on the audit topic first.
   */
  async flushRecorded(): Promise<void> {
    const target = this.recordedTotal;
    while (this.publishedTotal + this.droppedTotal < target) {
      const before = this.publishedTotal + this.droppedTotal;
      await this.flush();
      const after = this.publishedTotal + this.droppedTotal;
      if (after === before && after < target) {
        throw new RetriableError(
          'FANOUT_PUBLISH_FAILED',
          `call ledger could not publish to ${this.options.topic}: ${target - after} records wait`,
          { details: { topic: this.options.topic, waiting: target - after } },
        );
      }
    }
  }

  async stop(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + (options.deadlineMs ?? 5_000);
    while (this.buffer.length > 0 && Date.now() < deadline) {
      const before = this.buffer.length;
      await Promise.race([this.flush(), delay(Math.max(0, deadline - Date.now()))]);
      if (this.buffer.length >= before) await delay(Math.min(200, deadline - Date.now()));
    }
    if (this.buffer.length > 0) {
      this.options.logger.warn(
        { lost: this.buffer.length },
        'call ledger records not published before shutdown',
      );
    }
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
    this.connected = false;
  }

  private async publishBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.maxBatch);
      try {
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        const messages = await Promise.all(
          batch.map(async (record) => ({
            key: record.subject,
            value: await this.options.codec.encode(
              CALL_LEDGER_EVENT_TYPE,
              record,
              this.options.topic,
            ),
            headers: {
              [Headers.messageId]: record.metadata.eventId,
              [Headers.conversationId]: record.metadata.correlationId,
              [Headers.eventType]: CALL_LEDGER_EVENT_TYPE,
              [Headers.producer]: record.metadata.producer,
              [Headers.occurredAt]: String(record.metadata.occurredAt.getTime()),
              ...(record.metadata.causationId
                ? { [Headers.causationId]: record.metadata.causationId }
                : {}),
            },
          })),
        );
        await this.producer.send({ topic: this.options.topic, acks: -1, messages });
        // Only now: a failed send keeps the records for the next round.
        this.buffer.splice(0, batch.length);
        this.publishedTotal += batch.length;
        if (this.failingSince !== null) {
          this.options.logger.info('call ledger publishing again');
          this.failingSince = null;
        }
      } catch (error) {
        if (this.failingSince === null) {
          this.failingSince = Date.now();
          this.options.logger.warn(
            { err: error, buffered: this.buffer.length },
            'call ledger cannot publish; buffering',
          );
        }
        return;
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
