import type { Span } from '@opentelemetry/api';
import type { Consumer, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { NonRetriableError, isFanoutError } from '@fanout/errors';
import { isTerminal } from '@fanout/saga';
import type { Decision, Emission, SagaState } from '@fanout/saga';
import type { Logger } from '@fanout/telemetry';
import { restoreChangelog } from './changelog-restorer';
import { coPartitionAssigner } from './co-partition-assigner';
import { deadLetterRecord } from './dead-letter';
import type { DeadLetter } from './dead-letter';
import { withMetadata } from './event-envelope';
import { OwnedPartition } from './owned-partition';
import { Header, readHeaders } from './record-headers';
import type { AnySagaEngine, SagaRegistry } from './saga-registry';
import {
  extractContext,
  failSpan,
  shortName,
  startEmissionSpan,
  startInputSpan,
  traceHeaders,
} from './saga-tracing';
import { encodeStoredSaga, sagaKey } from './stored-saga';
import type { StoredSaga } from './stored-saga';

/** The codec contract of CONTRIBUTING.md ("Kafka record conventions"), structurally typed. */
export interface SagaCodec {
  encode(eventType: string, value: unknown, topic: string): Promise<Buffer>;
  decode(bytes: Buffer): Promise<{ eventType: string; value: unknown; schemaId: number }>;
}

export interface SagaMetrics {
  sagaFinished(labels: { saga: string; outcome: string }, seconds: number): void;
  deadLetter(labels: { consumerGroup: string; topic: string; errorCode: string }): void;
}

export interface SagaTopics {
  /** Topics the coordinator consumes (triggers and replies); co-partitioned with `state`. */
  inputs: readonly string[];
  /** The replies topic: anything on it that is no saga's reply is dead-lettered. */
  replies: string;
  /** The compacted changelog of saga state. */
  state: string;
  deadLetter: string;
  /** Where each emitted event type goes (commands, compensations, terminal events). */
  routes: Readonly<Record<string, string>>;
}

export interface SagaCoordinatorOptions {
  kafka: Kafka;
  codec: SagaCodec;
  sagas: SagaRegistry;
  topics: SagaTopics;
  groupId: string;
  /** Transactional ids are `<prefix>-p<partition>`: whoever owns partition p fences the last owner. */
  transactionalIdPrefix: string;
  /** `metadata.producer` of every emitted event. */
  producerName: string;
  logger: Logger;
  metrics: SagaMetrics;
  tickIntervalMs?: number;
  /** Group session timeout: how soon a dead instance's partitions move to another. */
  sessionTimeoutMs?: number;
  restoreTimeoutMs?: number;
  maxMessagesPerTransaction?: number;
  /** How long a finished saga is kept (to recognise late replies) before it is purged. */
  terminalRetentionMs?: number;
  /** The consumer stopped for good (a non-retriable error): the process should exit. */
  onCrash?: (error: Error) => void;
  clock?: () => number;
}

interface PendingRecord {
  topic: string;
  message: Message;
}

/** What one transaction will do: the records to send and the sagas to make current after commit. */
class TransactionWork {
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

/** One decoded input record (a trigger or a reply) and the transaction it joins. */
interface SagaInput {
  owned: OwnedPartition;
  origin: { topic: string; partition: number; message: KafkaMessage };
  eventType: string;
  value: Record<string, unknown>;
  /** The input's eventId: the causation id of everything the transition emits. */
  inputId: string;
  headers: Record<string, string>;
  work: TransactionWork;
  now: number;
}

/** Where a transition is recorded, and what caused it (null: a timer). */
interface TransitionScope {
  owned: OwnedPartition;
  work: TransactionWork;
  now: number;
  causationId: string | null;
}

/** A saga's move from `before` to `next`, with what it emits, under the input's span. */
interface Transition {
  key: string;
  before: SagaState<Record<string, unknown>> | undefined;
  next: StoredSaga;
  emissions: Emission[];
  parent: Span;
}

const PURGE_INTERVAL_MS = 60_000;

/**
 * Runs sagas on Kafka with exactly-once state transitions. For each batch of one input
 * partition, in one Kafka transaction: the emitted commands, compensations and terminal events,
 * the new saga state in the changelog, and the consumed offsets. A crash at any point either
 * commits all of it or none of it, so every saga ends in exactly one terminal event.
 *
 * Scale-out is by partition: partition p of every input topic and of the changelog belongs to
 * one instance (see the co-partition assigner); on assignment it fences the previous owner and
 * restores p's sagas from the changelog before processing p's inputs. Timers (step and saga
 * timeouts, compensation resends) run through the same transactional path.
 */
export class SagaCoordinator {
  private readonly consumer: Consumer;
  private readonly owned = new Map<number, OwnedPartition>();
  private assigned = new Set<number>();
  private joined = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly options: SagaCoordinatorOptions) {
    this.clock = options.clock ?? Date.now;
    this.log = options.logger;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [coPartitionAssigner],
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
      maxWaitTimeInMs: 100,
    });
  }

  /** Ready: joined the group and every owned partition's sagas are restored. */
  isReady(): boolean {
    return this.joined && [...this.assigned].every((p) => this.owned.get(p)?.status === 'ready');
  }

  /** Partitions this instance owns and has restored (tests and /readyz use it). */
  ownedPartitions(): number[] {
    return [...this.owned.values()].filter((o) => o.status === 'ready').map((o) => o.partition);
  }

  async start(): Promise<void> {
    await this.checkTopology();
    const { GROUP_JOIN, CRASH, REBALANCING } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    this.consumer.on(REBALANCING, () => {
      this.joined = false;
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.log.error({ err: payload.error, restart: payload.restart }, 'saga consumer crashed');
      this.joined = false;
      if (!payload.restart && !this.stopping) this.options.onCrash?.(payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics.inputs], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Every input partition in parallel: the lanes keep each co-partition serial.
      partitionsConsumedConcurrently: 16,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const owned = await this.ensureOwned(batch.partition, heartbeat);
        const max = this.options.maxMessagesPerTransaction ?? 200;
        for (let i = 0; i < batch.messages.length; i += max) {
          if (!isRunning() || isStale() || owned.status !== 'ready') return;
          const chunk = batch.messages.slice(i, i + max);
          await this.submit(owned, batch.topic, chunk);
          resolveOffset(chunk[chunk.length - 1]!.offset);
          await heartbeat();
        }
      },
    });
    this.timer = setInterval(() => this.scheduleTicks(), this.options.tickIntervalMs ?? 100);
    this.timer.unref();
  }

  /** Stops fetching, lets in-flight transactions finish, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.consumer
      .disconnect()
      .catch((err: unknown) => this.log.warn({ err }, 'consumer disconnect failed'));
    await Promise.all(
      [...this.owned.values()].map(async (owned) => {
        await owned.lane.drain();
        await owned.producer?.disconnect().catch(() => undefined);
      }),
    );
    this.owned.clear();
  }

  private async checkTopology(): Promise<void> {
    const { topics } = this.options;
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const coPartitioned = [...topics.inputs, topics.state];
      const wanted = [
        ...new Set([...coPartitioned, topics.deadLetter, ...Object.values(topics.routes)]),
      ];
      const metadata = await admin
        .fetchTopicMetadata({ topics: wanted })
        .catch((error: unknown) => {
          throw new NonRetriableError(
            'SAGA_TOPICS_MISSING',
            `saga topics are missing (create them from the catalog): ${wanted.join(', ')}: ${String(error)}`,
            { cause: error },
          );
        });
      const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
      const sizes = new Set(coPartitioned.map((t) => counts.get(t)));
      if (sizes.size !== 1) {
        throw new NonRetriableError(
          'SAGA_TOPICS_NOT_COPARTITIONED',
          `the coordinator's inputs and changelog need the same partition count: ${coPartitioned
            .map((t) => `${t}=${counts.get(t) ?? 'missing'}`)
            .join(', ')}`,
        );
      }
      for (const type of this.options.sagas.emittedTypes())
        if (!topics.routes[type])
          throw new NonRetriableError('SAGA_ROUTE_MISSING', `no topic is configured for ${type}`);
    } finally {
      await admin.disconnect();
    }
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    const assigned = new Set<number>();
    for (const topic of this.options.topics.inputs)
      for (const p of assignment[topic] ?? []) assigned.add(p);
    this.assigned = assigned;
    for (const [p, owned] of this.owned) if (!assigned.has(p)) this.release(owned, 'revoked');
    const fresh = [...assigned].filter((p) => !this.owned.has(p));
    if (fresh.length > 0) this.adopt(fresh);
    this.joined = true;
    this.log.info({ partitions: [...assigned].sort((a, b) => a - b) }, 'saga partitions assigned');
  }

  /**
   * Takes partitions over: first fence their previous owner (initialising the transactional
   * producer bound to each partition aborts whatever it left open), then restore their sagas
   * from the changelog up to its end. Inputs of a partition wait for its restore.
   */
  private adopt(partitions: number[], attempt = 0): void {
    const entries = partitions.map((p) => new OwnedPartition(p));
    const restore = (async () => {
      const started = this.clock();
      await Promise.all(
        entries.map(async (owned) => {
          const producer = this.options.kafka.producer({
            transactionalId: `${this.options.transactionalIdPrefix}-p${owned.partition}`,
            idempotent: true,
            maxInFlightRequests: 1,
            transactionTimeout: 60_000,
          });
          await producer.connect();
          // connect() only gets an idempotent producer id: kafkajs sends the InitProducerId that
          // fences the transactional id lazily, at the first transaction. Fence now, before the
          // restore: the broker answers it only once the last owner's open transaction is
          // committed or aborted (e.g. an in-doubt commit after a broker died), so the changelog
          // read next holds its outcome. (Found by the chaos suite: restored without it, sagas
          // whose start was committed late were lost and their replies dead-lettered.)
          await (await producer.transaction()).abort();
          owned.producer = producer;
        }),
      );
      const restored = await restoreChangelog({
        kafka: this.options.kafka,
        topic: this.options.topics.state,
        partitions,
        timeoutMs: this.options.restoreTimeoutMs ?? 60_000,
        onCorruptRecord: (partition, offset, err) =>
          this.log.error({ err, partition, offset }, 'unreadable saga changelog record skipped'),
      });
      let count = 0;
      for (const owned of entries) {
        if (owned.status === 'released') {
          // Revoked while restoring: its producer connected after release() ran.
          await owned.producer?.disconnect().catch(() => undefined);
          continue;
        }
        const changes = restored.get(owned.partition) ?? new Map<string, StoredSaga>();
        owned.apply(changes, (saga) => this.deadlineOf(saga));
        count += changes.size;
        owned.status = 'ready';
      }
      this.log.info(
        { partitions, sagas: count, durationMs: this.clock() - started },
        'saga state restored from changelog',
      );
    })();
    for (const owned of entries) {
      owned.ready = restore;
      this.owned.set(owned.partition, owned);
    }
    restore.catch((err: unknown) => {
      const delayMs = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
      this.log.error(
        { err, partitions, retryInMs: delayMs },
        'saga state restore failed; will retry',
      );
      for (const owned of entries) this.release(owned, 'restore failed');
      // Retry on our own: a partition without traffic would otherwise never be restored, and
      // its sagas' timers would never fire.
      const retry = setTimeout(() => {
        const still = partitions.filter((p) => this.assigned.has(p) && !this.owned.has(p));
        if (still.length > 0 && !this.stopping) this.adopt(still, attempt + 1);
      }, delayMs);
      retry.unref();
    });
  }

  /** Forgets a partition's sagas (another instance owns them now, or must reload them). */
  private release(owned: OwnedPartition, why: string): void {
    if (this.owned.get(owned.partition) === owned) this.owned.delete(owned.partition);
    if (owned.status === 'released') return;
    owned.status = 'released';
    owned.sagas.clear();
    owned.deadlines.clear();
    this.log.info({ partition: owned.partition, why }, 'saga partition released');
    void owned.lane.run(async () => {
      await owned.producer?.disconnect().catch(() => undefined);
    });
  }

  private async ensureOwned(
    partition: number,
    heartbeat: () => Promise<void>,
  ): Promise<OwnedPartition> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let owned = this.owned.get(partition);
      if (!owned) {
        this.adopt([partition]);
        owned = this.owned.get(partition)!;
      }
      let settled = false;
      const ready = owned.ready.then(
        () => (settled = true),
        () => (settled = true),
      );
      // Keep the group membership while a long restore runs.
      while (!settled) {
        await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 1_000))]);
        if (!settled) await heartbeat().catch(() => undefined);
      }
      if (owned.status === 'ready') return owned;
    }
    throw new NonRetriableError(
      'SAGA_RESTORE_FAILED',
      `partition ${partition} could not be restored`,
    );
  }

  /**
   * Group commit: inputs of one co-partition (from any of its topics) that arrive while its
   * lane is busy wait together and go into the next transaction as one, so a loaded partition
   * pays one transaction per round, not one per topic batch.
   */
  private submit(owned: OwnedPartition, topic: string, messages: KafkaMessage[]): Promise<void> {
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
      const now = this.clock();
      const offsets = new Map<string, string>();
      for (const { topic, messages } of entries) {
        for (const message of messages) await this.handleInput(owned, topic, message, work, now);
        offsets.set(topic, (BigInt(messages[messages.length - 1]!.offset) + 1n).toString());
      }
      await this.commit(owned, work, offsets);
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
    const origin = { topic, partition: owned.partition, message };
    if (!message.value || message.value.length === 0) {
      return this.deadLetter(work, origin, {
        code: 'SAGA_UNDECODABLE',
        reason: 'the record has no value',
      });
    }
    let decoded: { eventType: string; value: unknown };
    try {
      decoded = await this.options.codec.decode(message.value);
    } catch (error) {
      // An unreachable registry passes; bytes that will never decode do not.
      if (isFanoutError(error) && error.retriable) throw error;
      return this.deadLetter(work, origin, {
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

    if (topic === this.options.topics.replies) {
      const answers = this.options.sagas.answeredBy(decoded.eventType);
      if (answers) return this.applyReply(answers, input);
      return this.deadLetter(work, origin, {
        code: 'SAGA_UNEXPECTED_EVENT',
        reason: `${decoded.eventType} is not a reply of any saga`,
        sagaId: message.key?.toString('utf8'),
      });
    }
    const starts = this.options.sagas.triggeredBy(decoded.eventType);
    if (starts) return this.startSaga(starts, input);
    // Other events of an aggregate topic (e.g. our own OrderConfirmed): not ours to act on.
  }

  private async startSaga(engine: AnySagaEngine, input: SagaInput): Promise<void> {
    const { origin, eventType, value: trigger, inputId, headers, work, now } = input;
    const saga = engine.definition.name;
    let sagaId: string;
    try {
      sagaId = engine.definition.sagaId(trigger);
    } catch {
      sagaId = '';
    }
    if (typeof sagaId !== 'string' || sagaId.length === 0) {
      return this.deadLetter(work, origin, {
        code: 'SAGA_MISSING_KEY',
        reason: `${eventType} carries no saga id`,
        saga,
      });
    }
    const key = sagaKey(saga, sagaId);
    if (work.get(key)) {
      this.log.info(
        { saga, sagaId, eventType },
        'saga already started; redelivered trigger ignored',
      );
      return;
    }
    const span = startInputSpan(`saga ${saga} start`, extractContext(headers), {
      'fanout.saga.name': saga,
      'fanout.saga.id': sagaId,
      'fanout.event_type': eventType,
      'messaging.destination.name': origin.topic,
    });
    work.spans.push(span);
    let decision: Decision<Record<string, unknown>> & { outcome: 'applied' };
    try {
      decision = engine.start(trigger, inputId, now);
    } catch (error) {
      failSpan(span, 'SAGA_UNDECODABLE', String(error));
      return this.deadLetter(work, origin, {
        code: 'SAGA_UNDECODABLE',
        reason: `${eventType} cannot start saga ${saga}: ${error instanceof Error ? error.message : String(error)}`,
        sagaId,
        saga,
      });
    }
    const correlation =
      typeof (trigger.metadata as Record<string, unknown> | undefined)?.correlationId === 'string'
        ? ((trigger.metadata as Record<string, unknown>).correlationId as string)
        : sagaId;
    const stored: StoredSaga = {
      state: decision.state,
      trace: traceHeaders(span),
      correlationId: correlation,
    };
    this.log.info({ saga, sagaId, status: decision.state.status }, 'saga started');
    await this.record(
      engine,
      { ...input, causationId: inputId },
      {
        key,
        before: undefined,
        next: stored,
        emissions: decision.emit,
        parent: span,
      },
    );
  }

  private async applyReply(engine: AnySagaEngine, input: SagaInput): Promise<void> {
    const { origin, eventType, value: reply, inputId, headers, work, now } = input;
    const saga = engine.definition.name;
    const sagaId = origin.message.key?.toString('utf8') ?? '';
    if (sagaId.length === 0) {
      return this.deadLetter(work, origin, {
        code: 'SAGA_MISSING_KEY',
        reason: `${eventType} has no key (saga id)`,
        saga,
      });
    }
    const key = sagaKey(saga, sagaId);
    const current = work.get(key);
    if (!current) {
      return this.deadLetter(work, origin, {
        code: 'SAGA_UNKNOWN_SAGA',
        reason: `${eventType} answers saga ${saga} ${sagaId}, which this coordinator never started`,
        sagaId,
        saga,
      });
    }
    const decision = engine.reply(current.state, eventType, reply, inputId, now);
    if (decision.outcome === 'rejected') {
      return this.deadLetter(work, origin, {
        code: 'SAGA_REPLY_REJECTED',
        reason: decision.reason,
        sagaId,
        saga,
      });
    }
    if (decision.outcome === 'ignored') {
      this.log.info({ saga, sagaId, eventType, why: decision.reason }, 'saga reply ignored');
      return;
    }
    const span = startInputSpan(`saga ${saga} ${shortName(eventType)}`, extractContext(headers), {
      'fanout.saga.name': saga,
      'fanout.saga.id': sagaId,
      'fanout.event_type': eventType,
      'messaging.destination.name': origin.topic,
    });
    work.spans.push(span);
    await this.record(
      engine,
      { ...input, causationId: inputId },
      {
        key,
        before: current.state,
        next: { ...current, state: decision.state },
        emissions: decision.emit,
        parent: span,
      },
    );
  }

  /** Queues a transition: its emissions, each with its span and trace headers, and the new state. */
  private async record(
    engine: AnySagaEngine,
    scope: TransitionScope,
    transition: Transition,
  ): Promise<void> {
    const { owned, work, now, causationId } = scope;
    const { key, before, next, emissions, parent } = transition;
    const { state } = next;
    const saga = engine.definition.name;
    const correlationId = next.correlationId;
    for (const [index, emission] of emissions.entries()) {
      const topic = this.options.topics.routes[emission.eventType]!;
      const value = withMetadata(emission.payload, {
        saga,
        sagaId: state.sagaId,
        version: state.version,
        index,
        correlationId,
        causationId,
        producer: this.options.producerName,
        occurredAt: now,
      });
      const span = startEmissionSpan(parent, saga, state.sagaId, emission);
      work.spans.push(span);
      const metadata = value.metadata as { eventId: string };
      const headers: Record<string, string> = {
        ...traceHeaders(span),
        [Header.messageId]: metadata.eventId,
        [Header.conversationId]: correlationId,
        [Header.eventType]: emission.eventType,
        [Header.producer]: this.options.producerName,
        [Header.occurredAt]: String(now),
        [Header.sagaId]: state.sagaId,
        [Header.sagaName]: saga,
      };
      if (causationId) headers[Header.causationId] = causationId;
      const bytes = await this.options.codec.encode(emission.eventType, value, topic);
      work.records.push({ topic, message: { key: state.sagaId, value: bytes, headers } });
    }
    work.changes.set(key, next);
    work.records.push({
      topic: this.options.topics.state,
      message: { key, value: encodeStoredSaga(next), partition: owned.partition },
    });
    if (isTerminal(state) && !(before && isTerminal(before))) {
      const seconds = ((state.endedAt ?? now) - state.startedAt) / 1_000;
      work.finished.push({ saga, outcome: state.status, seconds });
      this.log.info(
        {
          saga,
          sagaId: state.sagaId,
          outcome: state.status,
          reason: state.failure?.code,
          durationMs: seconds * 1_000,
        },
        `saga ${state.status}`,
      );
    }
  }

  private deadLetter(
    work: TransactionWork,
    origin: { topic: string; partition: number; message: KafkaMessage },
    letter: DeadLetter,
  ): void {
    this.log.warn(
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
      topic: this.options.topics.deadLetter,
      message: deadLetterRecord(
        origin.message,
        { ...origin, consumerGroup: this.options.groupId },
        letter,
      ),
    });
    this.options.metrics.deadLetter({
      consumerGroup: this.options.groupId,
      topic: origin.topic,
      errorCode: letter.code,
    });
  }

  /** One transaction: the records, the offsets (if any), then the new state becomes current. */
  private async commit(
    owned: OwnedPartition,
    work: TransactionWork,
    offsets?: ReadonlyMap<string, string>,
  ): Promise<void> {
    const producer = owned.producer as Producer;
    const began = this.clock();
    const phases: Record<string, number> = {};
    const transaction = await producer.transaction();
    try {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of work.records) {
        const list = byTopic.get(topic) ?? [];
        list.push(message);
        byTopic.set(topic, list);
      }
      phases.begin = this.clock() - began;
      if (byTopic.size > 0) {
        await transaction.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      phases.send = this.clock() - began;
      if (offsets && offsets.size > 0) {
        await transaction.sendOffsets({
          consumerGroupId: this.options.groupId,
          topics: [...offsets].map(([topic, offset]) => ({
            topic,
            partitions: [{ partition: owned.partition, offset }],
          })),
        });
      }

      phases.offsets = this.clock() - began;
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      for (const span of work.spans) {
        failSpan(span, 'SAGA_TRANSACTION_FAILED', String(error));
        span.end();
      }
      // Memory may no longer match the changelog (or another instance fenced us): reload.
      this.log.error(
        { err: error, partition: owned.partition },
        'saga transaction failed; partition reloads',
      );
      this.release(owned, 'transaction failed');
      if (this.assigned.has(owned.partition) && !this.stopping) this.adopt([owned.partition]);
      throw error;
    }
    owned.apply(work.changes, (saga) => this.deadlineOf(saga));
    this.log.debug(
      {
        partition: owned.partition,
        records: work.records.length,
        sagas: work.changes.size,
        ms: this.clock() - began,
        phases,
      },
      'saga transaction committed',
    );
    for (const span of work.spans) span.end();
    for (const f of work.finished)
      this.options.metrics.sagaFinished({ saga: f.saga, outcome: f.outcome }, f.seconds);
  }

  private deadlineOf(saga: StoredSaga): number | undefined {
    return this.options.sagas.named(saga.state.saga)?.nextDeadline(saga.state);
  }

  private scheduleTicks(): void {
    if (this.stopping) return;
    const now = this.clock();
    for (const owned of this.owned.values()) {
      if (owned.status !== 'ready' || owned.tickQueued) continue;
      if (!owned.hasDue(now) && now < owned.nextPurgeAt) continue;
      owned.tickQueued = true;
      owned.lane
        .run(() => this.tick(owned))
        .catch((err: unknown) =>
          this.log.error({ err, partition: owned.partition }, 'saga timer tick failed'),
        )
        .finally(() => {
          owned.tickQueued = false;
        });
    }
  }

  /** Applies due deadlines (timeouts, compensation resends) and purges long-finished sagas. */
  private async tick(owned: OwnedPartition): Promise<void> {
    if (owned.status !== 'ready') return;
    const now = this.clock();
    const work = new TransactionWork(owned);
    for (const key of owned.due(now)) {
      const current = owned.sagas.get(key);
      const engine = current && this.options.sagas.named(current.state.saga);
      if (!current || !engine) continue;
      const decision = engine.tick(current.state, now);
      if (decision.outcome !== 'applied') continue;
      const span = startInputSpan(
        `saga ${engine.definition.name} timer`,
        extractContext(current.trace),
        {
          'fanout.saga.name': engine.definition.name,
          'fanout.saga.id': current.state.sagaId,
          'fanout.saga.reason': decision.state.failure?.code ?? 'deadline',
        },
      );
      work.spans.push(span);
      await this.record(
        engine,
        { owned, work, now, causationId: null },
        {
          key,
          before: current.state,
          next: { ...current, state: decision.state },
          emissions: decision.emit,
          parent: span,
        },
      );
    }
    if (now >= owned.nextPurgeAt) {
      owned.nextPurgeAt = now + PURGE_INTERVAL_MS;
      const retention = this.options.terminalRetentionMs ?? 7 * 24 * 3_600_000;
      for (const [key, saga] of owned.sagas) {
        if (
          !isTerminal(saga.state) ||
          (saga.state.endedAt ?? now) + retention > now ||
          work.changes.has(key)
        )
          continue;
        work.changes.set(key, null);
        work.records.push({
          topic: this.options.topics.state,
          message: { key, value: null, partition: owned.partition },
        });
      }
    }
    if (work.records.length === 0) return;
    await this.commit(owned, work);
  }
}
