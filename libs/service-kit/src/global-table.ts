import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { classifyError } from '@fanout/errors';
import {
  enableAdaptiveFetch,
  withinDeadline,
  type AdaptiveFetchSettings,
  type EventCodec,
} from '@fanout/messaging';
import type { Logger } from '@fanout/telemetry';
import { GlobalTableStore } from './global-table-store';
import type { TableChange } from './global-table-store';

export interface GlobalTableOptions<R> {
  /** Short name for logs, metrics and the reader's group id, e.g. `user-contacts`. */
  name: string;
  /** The compacted table topic, keyed by the row's key. */
  topic: string;
  kafka: Kafka;
  codec: EventCodec;
  /** The local SQLite file that keeps rows and positions across restarts. */
  file: string;
  /**
   * The row kept for one decoded record of the topic, or `undefined` to ignore the record
   * (another event type). Rows must survive JSON.
   */
  project(value: unknown, eventType: string): R | undefined;
  logger: Logger;
  /** Prefix of the reader's consumer group: `<prefix>.view.<name>.<random>`. */
  groupPrefix: string;
  /**
   * A reader that stays behind the topic's end without moving for this long (kafkajs can go
   * silent after a crash-restart during a coordinator move), or that stopped on an error, is
   * replaced by a new one that goes on from the kept positions. Default 30 s. The check is one
   * ListOffsets request per half of it.
   */
  stallMs?: number;
  /**
   * How the reader fetches: while records come, one fetch per `busyMaxWaitMs` (or per
   * `busyMinBytes`), so a fetch carries every record of that time; after an empty fetch, a long
   * poll answered at the first record. Default 64 KiB / 25 ms / 1,000 ms. A lookup that misses
   * a row waits for it (`lookup`), so the busy wait is the most a row can be late.
   */
  fetch?: AdaptiveFetchSettings;
  /** Staged rows are written to the file at most this long after they arrive. Default 250 ms. */
  flushMs?: number;
}

const DEFAULT_FETCH: AdaptiveFetchSettings = {
  busyMinBytes: 65_536,
  busyMaxWaitMs: 25,
  idleMaxWaitMs: 1_000,
};

export interface GlobalTableStats {
  rows: number;
  caughtUp: boolean;
  /** Records received from Kafka since this process started, and until it first caught up. */
  recordsRead: number;
  recordsReadToCatchUp: number;
  /** Records the table could not decode and skipped (logged with their offset). */
  recordsSkipped: number;
  /** Whether this start went on from positions kept in the local file. */
  resumed: boolean;
  /** Readers replaced after a stall or a stop on an error. */
  readerReopens: number;
}

const REGISTRY_RETRY_MS = 1_000;

/**
 * A global table, as Kafka Streams' GlobalKTable: every instance of a service reads the whole
 * compacted table topic (all partitions, in a consumer group of its own that never commits) into
 * a local SQLite file, and keeps it up to date. `start()` resolves once the table holds every
 * record that was on the topic when it started, so a service that reads it first and consumes
 * after never misses a row it could have known. The file keeps the position per partition with
 * the rows, so a restart reads only what came since (GROUP_JOIN seeks there before any fetch).
 *
 * Cost: the reader fetches adaptively (`fetch`) and writes the file behind (GlobalTableStore's
 * `stage`/`flush`, one transaction per `flushMs`), so a record costs neither a fetch nor a
 * transaction of its own.
 *
 * Consistency: eventually consistent with the topic; `lookup(key, waitMs)` waits a bounded time
 * for a row that is not there yet (its record may be a moment behind). Records that never decode
 * are logged and skipped (a table has no dead-letter topic); an unreachable registry is waited
 * for, never skipped.
 */
export class GlobalTable<R> {
  private readonly store: GlobalTableStore<R>;
  private readonly positions: Map<number, bigint>;
  private readonly waiters = new Map<string, Set<() => void>>();
  private consumer: Consumer | undefined;
  private disableAdaptiveFetch: (() => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Per lagging partition: the position it was at when first seen behind, and since when. */
  private readonly behind = new Map<number, { position: bigint; since: number }>();
  private readerStopped = false;
  private checking = false;
  /** A record waits for the registry: behind but not stalled. */
  private waitingForRegistry = false;
  private reopens = 0;
  private ends = new Map<number, bigint>();
  private stopping = false;
  private failed: unknown;
  private caughtUpAt: number | undefined;
  private signalCaughtUp!: () => void;
  private readonly caughtUpPromise = new Promise<void>(
    (resolve) => (this.signalCaughtUp = resolve),
  );
  private readonly counters = { read: 0, readToCatchUp: 0, skipped: 0 };
  private readonly resumed: boolean;

  constructor(private readonly options: GlobalTableOptions<R>) {
    this.store = new GlobalTableStore<R>(options.file, options.topic);
    this.positions = this.store.positions();
    this.resumed = this.positions.size > 0;
  }

  get caughtUp(): boolean {
    return this.caughtUpAt !== undefined;
  }

  /** False once stop() began: a failed start is worth another try only before that. */
  get startable(): boolean {
    return !this.stopping;
  }

  /** Caught up and reading: what a readiness check asks. */
  get healthy(): boolean {
    return this.caughtUp && !this.stopping && this.failed === undefined;
  }

  get stats(): GlobalTableStats {
    return {
      rows: this.stopping ? 0 : this.store.count(),
      caughtUp: this.caughtUp,
      recordsRead: this.counters.read,
      recordsReadToCatchUp: this.counters.readToCatchUp,
      recordsSkipped: this.counters.skipped,
      resumed: this.resumed,
      readerReopens: this.reopens,
    };
  }

  /** The row for `key` as the table holds it now. */
  get(key: string): R | undefined {
    return this.stopping ? undefined : this.store.get(key);
  }

  /** The row for `key`, waiting up to `waitMs` for it to arrive when the table lacks it. */
  async lookup(key: string, waitMs: number): Promise<R | undefined> {
    const now = this.get(key);
    if (now !== undefined || waitMs <= 0) return now;
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    const waiting = set;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiting.delete(done);
        if (waiting.size === 0 && this.waiters.get(key) === waiting) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      waiting.add(done);
    });
    return this.stopping ? undefined : this.store.get(key);
  }

  /**
   * Joins its own group, reads on from the kept positions and resolves once caught up with the
   * topic's end as read now. Rejects when the broker cannot be reached (the caller retries).
   */
  async start(): Promise<void> {
    const { topic, logger, name } = this.options;
    const started = Date.now();
    await this.readEnds();
    await this.openReader();
    this.startWatchdog();
    this.checkCaughtUp();
    await this.caughtUpPromise;
    if (this.stopping) return;
    logger.info(
      {
        view: name,
        topic,
        rows: this.store.count(),
        recordsRead: this.counters.readToCatchUp,
        resumed: this.resumed,
        ms: Date.now() - started,
      },
      'view caught up',
    );
  }

  /**
   * A reader in a group of its own: joins, seeks to the kept positions, and applies batches.
   * Rejects (leaving no reader behind) when the broker cannot be reached.
   */
  private async openReader(): Promise<void> {
    const { kafka, topic, logger, name } = this.options;
    const groupId = `${this.options.groupPrefix}.view.${name}.${randomBytes(4).toString('hex')}`;
    const fetch = this.options.fetch ?? DEFAULT_FETCH;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      minBytes: 1,
      maxWaitTimeInMs: fetch.idleMaxWaitMs,
    });
    this.consumer = consumer;
    this.disableAdaptiveFetch?.();
    this.disableAdaptiveFetch = enableAdaptiveFetch(groupId, fetch);
    // Before the first fetch of every (re)join: go on from the kept positions.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const partition of payload.memberAssignment[topic] ?? []) {
        const position = this.positions.get(partition);
        if (position !== undefined)
          consumer.seek({ topic, partition, offset: position.toString() });
      }
    });
    // A batch with no record to apply (markers, compacted-away offsets) never reaches eachBatch;
    // this event still says how far the reader got.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic || payload.batchSize > 0 || this.stopping) return;
      const next = BigInt(payload.lastOffset) + 1n;
      if (next > (this.positions.get(payload.partition) ?? 0n)) {
        this.store.stage(payload.partition, next, []);
        this.positions.set(payload.partition, next);
        this.scheduleFlush();
      }
      this.progress(payload.partition);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.consumer !== consumer) return;
      this.failed = payload.error;
      // The watchdog replaces it at its next look.
      this.readerStopped = true;
      logger.error(
        { err: payload.error, view: name, topic },
        'view reader stopped on an error; a new reader replaces it',
      );
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (error) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private startWatchdog(): void {
    const stallMs = this.options.stallMs ?? 30_000;
    this.watchdog = setInterval(
      () => void this.check(stallMs),
      Math.max(100, Math.floor(stallMs / 2)),
    );
    this.watchdog.unref();
  }

  /** Replaces the reader when it stopped, or when a partition stays behind without moving. */
  private async check(stallMs: number): Promise<void> {
    if (this.stopping || this.checking) return;
    this.checking = true;
    try {
      let stalled: string | undefined = this.readerStopped ? 'stopped on an error' : undefined;
      if (!stalled && this.waitingForRegistry) this.behind.clear();
      else if (!stalled) {
        const now = Date.now();
        for (const [partition, end] of await this.topicEnds()) {
          const position = this.positions.get(partition) ?? 0n;
          const seen = this.behind.get(partition);
          if (position >= end) this.behind.delete(partition);
          else if (!seen || seen.position !== position)
            this.behind.set(partition, { position, since: now });
          else if (now - seen.since >= stallMs)
            stalled = `partition ${partition} at ${position} of ${end} for ${now - seen.since} ms`;
        }
      }
      if (stalled && !this.stopping) await this.reopen(stalled);
    } catch (error) {
      this.options.logger.warn(
        { err: error, view: this.options.name, topic: this.options.topic },
        'view reader check failed; tried again later',
      );
    } finally {
      this.checking = false;
    }
  }

  private async topicEnds(): Promise<Map<number, bigint>> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.options.topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Replaces a stalled or stopped reader; a failed attempt is tried again at the next look. */
  private async reopen(why: string): Promise<void> {
    const { logger, name, topic } = this.options;
    logger.warn({ view: name, topic, why }, 'view reader is not keeping up: replacing it');
    const old = this.consumer;
    this.consumer = undefined;
    if (old)
      await withinDeadline(
        old.disconnect().catch(() => undefined),
        10_000,
      );
    if (this.stopping) return;
    await this.openReader();
    this.reopens += 1;
    this.readerStopped = false;
    this.failed = undefined;
    this.behind.clear();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.watchdog);
    this.signalCaughtUp();
    await this.consumer?.disconnect().catch(() => undefined);
    this.disableAdaptiveFetch?.();
    clearTimeout(this.flushTimer);
    for (const key of [...this.waiters.keys()]) this.wake(key);
    this.store.close();
  }

  private async readEnds(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.options.topic);
      const highs = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      // Fewer records than kept (the topic was deleted and created again): start over.
      if ([...this.positions].some(([p, next]) => next > (highs.get(p) ?? 0n))) {
        this.options.logger.warn(
          { view: this.options.name, topic: this.options.topic },
          'view positions are past the topic end (topic recreated?): reading it again whole',
        );
        this.store.reset();
        this.positions.clear();
      }
      this.ends = new Map(
        offsets.map((o) => [o.partition, BigInt(o.low) >= BigInt(o.high) ? 0n : BigInt(o.high)]),
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async onBatch({ batch, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    const from = this.positions.get(partition) ?? 0n;
    const changes: TableChange<R>[] = [];
    let next = from;
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      // A fetch that started before a seek landed: those records are in the rows already.
      if (offset < from) continue;
      this.count();
      const key = message.key?.toString('utf8');
      if (key && (message.value === null || message.value.length === 0)) {
        changes.push({ key, row: null });
      } else if (key && message.value) {
        const row = await this.decode(message.value, partition, message.offset, heartbeat);
        this.waitingForRegistry = false;
        if (row === 'stopped' || !isRunning()) break;
        if (row !== 'skip') changes.push({ key, row });
      }
      next = offset + 1n;
    }
    if (next > from) {
      this.store.stage(partition, next, changes);
      this.positions.set(partition, next);
      this.scheduleFlush();
      for (const change of changes) this.wake(change.key);
    }
    this.progress(partition);
  }

  private async decode(
    bytes: Buffer,
    partition: number,
    offset: string,
    heartbeat: () => Promise<void>,
  ): Promise<R | 'skip' | 'stopped'> {
    for (;;) {
      try {
        const decoded = await this.options.codec.decode(bytes);
        return this.options.project(decoded.value, decoded.eventType) ?? 'skip';
      } catch (error) {
        if (!classifyError(error).retriable) {
          this.counters.skipped += 1;
          this.options.logger.error(
            { err: error, view: this.options.name, topic: this.options.topic, partition, offset },
            'view record does not decode: skipped',
          );
          return 'skip';
        }
        if (this.stopping) return 'stopped';
        this.waitingForRegistry = true;
        this.options.logger.warn(
          { err: error, view: this.options.name, partition, offset },
          'view record waits for the registry',
        );
        await sleep(REGISTRY_RETRY_MS);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /** Writes staged rows within `flushMs`: one transaction for every batch until then. */
  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.stopping) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.stopping) return;
      try {
        this.store.flush();
      } catch (error) {
        // Still staged (and served by get); tried again after flushMs.
        this.options.logger.error(
          { err: error, view: this.options.name, pending: this.store.pending },
          'view rows could not be written to the local file; tried again',
        );
        this.scheduleFlush();
      }
    }, this.options.flushMs ?? 250);
    this.flushTimer.unref();
  }

  private count(): void {
    this.counters.read += 1;
    if (!this.caughtUp) this.counters.readToCatchUp += 1;
  }

  private progress(partition: number): void {
    const end = this.ends.get(partition);
    if (end !== undefined && (this.positions.get(partition) ?? 0n) >= end)
      this.ends.delete(partition);
    this.checkCaughtUp();
  }

  private checkCaughtUp(): void {
    if (this.caughtUpAt !== undefined) return;
    for (const [partition, end] of this.ends) {
      if (end > 0n && (this.positions.get(partition) ?? 0n) < end) return;
    }
    this.caughtUpAt = Date.now();
    this.signalCaughtUp();
  }

  private wake(key: string): void {
    for (const wake of [...(this.waiters.get(key) ?? [])]) wake();
  }
}
