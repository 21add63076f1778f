import type { Kafka } from 'kafkajs';
import { RegistryCodec } from '@fanout/contracts';
import { uniqueName } from '@fanout/test-platform';
import { FANOUT_APIS } from './bench-settings';
import type { FanoutApi } from './bench-settings';

/** The catalog's call-ledger topic (CALL_LEDGER_TOPIC of every consumer). */
export const CALL_LEDGER_TOPIC = 'fanout.audit.api-calls';

/** Per topic and partition: the next offset (a high watermark). */
export type TopicOffsets = Record<string, Map<number, bigint>>;

/** When each API finished serving one registration event, from the call ledger. */
export interface EventTiming {
  userId: string;
  eventId: string;
  /** Epoch ms the first successful call's answer was read (startedAt + latencyMs), per API. */
  doneAt: Partial<Record<FanoutApi, number>>;
  /** Successful calls naming this event, per API (1 each normally; more are repeats). */
  successfulCalls: Partial<Record<FanoutApi, number>>;
}

export interface CollectedTimings {
  /** By user id, for the expected users only. */
  byUser: Map<string, EventTiming>;
  /** Expected users whose event appeared more than once on the user topic. */
  republished: number;
  ledgerRecords: number;
  /** Attempts that did not succeed, by `api outcome errorCode` (e.g. `email RETRY FANOUT_API_TIMEOUT`). */
  failedAttempts: Record<string, number>;
  readSeconds: number;
  complete: boolean;
}

interface LedgerValue {
  api: string;
  eventIds: string[];
  outcome: string;
  errorCode: string | null;
  latencyMs: number;
  startedAt: number | Date;
}

const isApi = (api: string): api is FanoutApi => (FANOUT_APIS as readonly string[]).includes(api);

/**
 * Reads what the system itself records, after a measured load: the UserRegistered events
 * (Kafka key = user id, header `messaging.message.id` = event id) and the call ledger
 * (`fanout.audit.ApiCallAttempted`: one record per HTTP attempt of a consumer, with the event
 * ids it served, `startedAt` and `latencyMs`). An API is done with an event when the first
 * SUCCESS attempt naming it returned. Read after the load, not during it, so the decoding
 * does not compete with the system being measured.
 */
export class FanoutRecordReader {
  private readonly codec: RegistryCodec;

  constructor(
    private readonly kafka: Kafka,
    schemaRegistryUrl: string,
    /** USER_EVENTS_TOPIC of the services being measured. */
    private readonly userEventsTopic: string,
  ) {
    this.codec = new RegistryCodec({ registry: { url: schemaRegistryUrl } });
  }

  async offsetsNow(): Promise<TopicOffsets> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const result: TopicOffsets = {};
      for (const topic of [this.userEventsTopic, CALL_LEDGER_TOPIC]) {
        const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
        result[topic] = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      }
      return result;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Reads both topics from `from` until every expected user has an event and all four APIs
   * done, or until the topics are read to their end and nothing new came for `settleMs`,
   * or `timeoutMs`.
   */
  async collect(
    from: TopicOffsets,
    expectedUserIds: ReadonlySet<string>,
    options: { timeoutMs: number; settleMs?: number; onProgress?: (done: number) => void },
  ): Promise<CollectedTimings> {
    const started = Date.now();
    const eventOfUser = new Map<string, string>();
    const seenUser = new Map<string, number>();
    const byEvent = new Map<
      string,
      { doneAt: Partial<Record<FanoutApi, number>>; calls: Partial<Record<FanoutApi, number>> }
    >();
    const position = new Map<string, bigint>();
    let ledgerRecords = 0;
    const failedAttempts: Record<string, number> = {};
    let lastRecordAt = Date.now();
    const consumer = this.kafka.consumer({
      groupId: uniqueName('bench-report-reader'),
      maxWaitTimeInMs: 100,
      maxBytes: 50 * 1024 * 1024,
    });
    const complete = (): boolean => {
      for (const userId of expectedUserIds) {
        const eventId = eventOfUser.get(userId);
        const timing = eventId ? byEvent.get(eventId) : undefined;
        if (!timing || FANOUT_APIS.some((api) => timing.doneAt[api] === undefined)) return false;
      }
      return true;
    };
    await consumer.connect();
    try {
      await consumer.subscribe({
        topics: [this.userEventsTopic, CALL_LEDGER_TOPIC],
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 4,
        eachBatch: async ({ batch }) => {
          lastRecordAt = Date.now();
          for (const message of batch.messages) {
            if (batch.topic === this.userEventsTopic) {
              const userId = message.key?.toString();
              const eventId = message.headers?.['messaging.message.id']?.toString();
              if (userId && eventId && expectedUserIds.has(userId)) {
                seenUser.set(userId, (seenUser.get(userId) ?? 0) + 1);
                if (!eventOfUser.has(userId)) eventOfUser.set(userId, eventId);
              }
            } else if (message.value) {
              ledgerRecords += 1;
              const decoded = await this.codec.decode(message.value);
              const record = decoded.value as LedgerValue;
              if (record.outcome !== 'SUCCESS') {
                const what = `${record.api} ${record.outcome} ${record.errorCode ?? '-'}`;
                failedAttempts[what] = (failedAttempts[what] ?? 0) + 1;
                continue;
              }
              if (!isApi(record.api)) continue;
              const startedAt =
                record.startedAt instanceof Date ? record.startedAt.getTime() : record.startedAt;
              const doneAt = startedAt + record.latencyMs;
              for (const eventId of record.eventIds) {
                let timing = byEvent.get(eventId);
                if (!timing) {
                  timing = { doneAt: {}, calls: {} };
                  byEvent.set(eventId, timing);
                }
                const previous = timing.doneAt[record.api];
                if (previous === undefined || doneAt < previous) timing.doneAt[record.api] = doneAt;
                timing.calls[record.api] = (timing.calls[record.api] ?? 0) + 1;
              }
            }
          }
          const last = batch.messages.at(-1);
          if (last) position.set(`${batch.topic}:${batch.partition}`, BigInt(last.offset) + 1n);
        },
      });
      for (const [topic, partitions] of Object.entries(from))
        for (const [partition, offset] of partitions)
          consumer.seek({ topic, partition, offset: offset.toString() });

      const settleMs = options.settleMs ?? 3_000;
      let isComplete = false;
      while (Date.now() - started < options.timeoutMs) {
        await new Promise((r) => setTimeout(r, 500));
        options.onProgress?.(
          [...expectedUserIds].filter((u) => {
            const t = byEvent.get(eventOfUser.get(u) ?? '');
            return t !== undefined && FANOUT_APIS.every((api) => t.doneAt[api] !== undefined);
          }).length,
        );
        if (complete()) {
          isComplete = true;
          break;
        }
        if (Date.now() - lastRecordAt > settleMs && (await this.readToEnd(position, from))) break;
      }
      const byUser = new Map<string, EventTiming>();
      for (const userId of expectedUserIds) {
        const eventId = eventOfUser.get(userId);
        if (!eventId) continue;
        const timing = byEvent.get(eventId);
        byUser.set(userId, {
          userId,
          eventId,
          doneAt: timing?.doneAt ?? {},
          successfulCalls: timing?.calls ?? {},
        });
      }
      return {
        byUser,
        republished: [...seenUser.values()].filter((n) => n > 1).length,
        ledgerRecords,
        failedAttempts,
        readSeconds: (Date.now() - started) / 1000,
        complete: isComplete,
      };
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  /** True when every partition of both topics has been read up to its current end. */
  private async readToEnd(position: Map<string, bigint>, from: TopicOffsets): Promise<boolean> {
    const end = await this.offsetsNow();
    for (const [topic, partitions] of Object.entries(end)) {
      for (const [partition, high] of partitions) {
        const start = from[topic]?.get(partition) ?? 0n;
        const at = position.get(`${topic}:${partition}`) ?? start;
        if (at < high) return false;
      }
    }
    return true;
  }

  async close(): Promise<void> {
    await this.codec.close();
  }
}
