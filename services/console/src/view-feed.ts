import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { EventCodec } from '@fanout/contracts';
import { readHeaders } from '@fanout/messaging';
import type { Logger } from '@fanout/telemetry';
import type { ConsoleView } from './console-view';
import { projectRecord, topicRole } from './record-projection';
import type { ConsoleRecord, ConsoleTopics, ViewChange } from './record-projection';

export interface ViewFeedOptions {
  kafka: Kafka;
  codec: Pick<EventCodec, 'decode'>;
  view: ConsoleView;
  topics: ConsoleTopics;
  groupId: string;
  logger: Logger;
  refreshMs: number;
}

/**
 * Feeds the view from Kafka: the domain event topics, the call ledger, every retry and
 * dead-letter topic, and the saga changelog and messages. It reads with a consumer group that
 * never commits: the view stores the offset read to in the same transaction as the rows of each
 * batch, so a restart resumes exactly where the view is (seek), and a lost view file is rebuilt
 * from the earliest offsets. Topics created later (a new consumer's retry tiers) are found by a
 * periodic look, which restarts the reader with them.
 */
export class ViewFeed {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private subscribed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private lastBatchAt: number | null = null;
  private recordsRead = 0;
  /** Where the view is per `topic/partition`: records below it (before a seek lands) are skipped. */
  private readTo = new Map<string, bigint>();

  constructor(private readonly options: ViewFeedOptions) {}

  get stats(): { topics: number; recordsRead: number; lastBatchAt: number | null } {
    return {
      topics: this.subscribed.size,
      recordsRead: this.recordsRead,
      lastBatchAt: this.lastBatchAt,
    };
  }

  async start(): Promise<void> {
    this.admin = this.options.kafka.admin();
    await this.admin.connect();
    const { clusterId } = await this.admin.describeCluster();
    if (this.options.view.bindToCluster(clusterId))
      this.options.logger.warn(
        { clusterId },
        'another Kafka cluster than the view was read from: view rebuilt',
      );
    await this.restart();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  private async wanted(): Promise<string[]> {
    const all = await this.admin!.listTopics();
    return all.filter((t) => topicRole(t, this.options.topics) !== null).sort();
  }

  private async refresh(): Promise<void> {
    if (this.stopping || this.restarting) return;
    try {
      const topics = await this.wanted();
      if (topics.some((t) => !this.subscribed.has(t))) await this.restart(topics);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'console reader could not list topics');
    }
  }

  private async restart(known?: string[]): Promise<void> {
    this.restarting = (async () => {
      const topics = known ?? (await this.wanted());
      if (this.consumer) await this.consumer.disconnect().catch(() => undefined);
      if (this.stopping || topics.length === 0) return;
      const consumer = this.options.kafka.consumer({
        groupId: this.options.groupId,
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: false,
      });
      this.consumer = consumer;
      // A crash kafkajs does not restart from would stop the view for good: start a new reader.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart || this.stopping) return;
        this.options.logger.warn({ err: payload.error }, 'console reader crashed; restarting it');
        setTimeout(() => void this.restart().catch(() => undefined), 2_000).unref();
      });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      this.subscribed = new Set(topics);
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.batch(payload),
      });
      this.readTo = new Map();
      for (const o of this.options.view.readOffsets())
        if (this.subscribed.has(o.topic)) {
          this.readTo.set(`${o.topic}/${o.partition}`, BigInt(o.nextOffset));
          consumer.seek({ topic: o.topic, partition: o.partition, offset: o.nextOffset });
        }
      this.options.logger.info({ topics: topics.length }, 'console reader started');
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  private async batch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const role = topicRole(batch.topic, this.options.topics);
    if (!role || batch.messages.length === 0) return;
    const changes: ViewChange[] = [];
    const from = this.readTo.get(`${batch.topic}/${batch.partition}`) ?? 0n;
    for (const message of batch.messages) {
      if (BigInt(message.offset) < from) continue;
      const record: ConsoleRecord = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key ? message.key.toString('utf8') : null,
        value: message.value,
        headers: readHeaders(message.headers),
        timestamp: Number(message.timestamp),
      };
      let decoded: { eventType: string; value: unknown } | undefined;
      if ((role === 'domain' || role === 'ledger') && record.value) {
        try {
          decoded = await this.options.codec.decode(record.value);
        } catch (error) {
          this.options.logger.warn(
            { err: error, topic: record.topic, offset: record.offset },
            'console reader could not decode a record; it is shown from its headers only',
          );
        }
      }
      changes.push(...projectRecord(record, role, decoded));
    }
    const last = batch.messages[batch.messages.length - 1]!;
    const next = BigInt(last.offset) + 1n;
    if (next > from) {
      this.options.view.apply(changes, [
        { topic: batch.topic, partition: batch.partition, nextOffset: next.toString() },
      ]);
      this.readTo.set(`${batch.topic}/${batch.partition}`, next);
    }
    resolveOffset(last.offset);
    this.recordsRead += batch.messages.length;
    this.lastBatchAt = Date.now();
    await heartbeat();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.restarting?.catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
