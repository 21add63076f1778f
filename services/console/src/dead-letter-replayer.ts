import type { Kafka, Producer } from 'kafkajs';
import { publishReplay, replayTarget } from '@fanout/dead-letters';
import type { DeadLetterRecord, ReplayOutcome } from '@fanout/dead-letters';
import { ReplayHeaders, traceIdOf } from '@fanout/dead-letters';
import type { Logger } from '@fanout/telemetry';
import type { ConsoleView } from './console-view';
import type { DeadLetterRow } from './record-projection';

export function deadLetterRecordOf(row: DeadLetterRow): DeadLetterRecord {
  return {
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    key: row.key,
    value: row.value,
    headers: row.headers,
    timestamp: row.deadAt,
  };
}

export interface ReplayResult {
  replayed: ReplayOutcome[];
  failed: string[];
}

/**
 * Replays dead letters from the view's copy of each record (bytes, key and headers as the
 * runtime wrote them), by `publishReplay`: the rules of `fanout dlq replay`. Each replay is
 * recorded in the view at once, so the pages show it before the reader sees it come back.
 */
export class DeadLetterReplayer {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly view: ConsoleView,
    private readonly logger: Logger,
  ) {}

  private connected(): Promise<Producer> {
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async replay(ids: readonly string[], keyId: string | undefined): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: [], failed: [] };
    for (const id of ids.slice(0, 100)) {
      const row = this.view.deadLetter(id);
      if (!row) {
        result.failed.push(`${id}: no such dead letter in the view`);
        continue;
      }
      const record = deadLetterRecordOf(row);
      try {
        replayTarget(record);
        const outcome = await publishReplay(await this.connected(), record);
        result.replayed.push(outcome);
        this.view.apply([
          {
            kind: 'replay',
            row: {
              deadLetterId: outcome.id,
              eventId: outcome.eventId,
              topic: outcome.topic,
              partition: outcome.partition ?? -1,
              offset: outcome.offset ?? '?',
              replayedAt: Date.now(),
              traceId: outcome.traceId ?? null,
              originalTraceId: traceIdOf(outcome.headers[ReplayHeaders.originalTraceparent]),
            },
          },
        ]);
        this.logger.info(
          {
            deadLetter: id,
            topic: outcome.topic,
            offset: outcome.offset,
            traceId: outcome.traceId,
            apiKeyId: keyId,
          },
          'dead letter replayed',
        );
      } catch (error) {
        result.failed.push(`${id}: ${(error as Error).message}`);
      }
    }
    return result;
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }
}
