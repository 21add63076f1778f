import type { FastifyBaseLogger } from 'fastify';
import { backoffDelay } from './backoff';
import type { BackoffPolicy } from './backoff';
import type { OutboxRow, SqliteOutbox } from './outbox-store';
import type { PublishedEventFinder } from './kafka-published-events';

/**
 * Publishes outbox rows. It resolves only once every row is acknowledged by Kafka (acks=all),
 * keeps the order of the rows it is given per key, and continues each row's stored trace.
 */
export interface OutboxPublisher {
  publish(rows: readonly OutboxRow[]): Promise<void>;
}

/** Test-only seams: the crash tests SIGKILL the process at these points. */
export interface OutboxRelayHooks {
  afterFetch?(rows: readonly OutboxRow[]): void;
  afterPublish?(rows: readonly OutboxRow[]): void;
}

export interface OutboxRelayOptions {
  outbox: SqliteOutbox;
  publisher: OutboxPublisher;
  logger: FastifyBaseLogger;
  batchSize?: number;
  /** Polling covers rows written by another process; appends in this one wake the relay at once. */
  pollIntervalMs?: number;
  /**
   * After waking from idle, and after each batch that was not full, wait this long before
   * reading the next batch, so a burst of requests goes out in one produce request instead of
   * one each. Adds at most this to publish latency, never to the HTTP response. Default 10 ms.
   */
  lingerMs?: number;
  backoff?: BackoffPolicy;
  hooks?: OutboxRelayHooks;
  /**
   * Looks up rows left in doubt by a crash (published, perhaps, but not marked sent) on the
   * topic before anything new is published. Without it they are simply published again.
   */
  recovery?: PublishedEventFinder;
  /**
   * Asks whether Kafka answers again. During a long backoff the relay asks every
   * `reachabilityIntervalMs` and, once Kafka has been seen unreachable and then reachable,
   * retries at once instead of sleeping out the rest of its backoff (up to `backoff.maxMs`).
   */
  reachable?: () => Promise<boolean>;
  /** Default 1,000 ms. */
  reachabilityIntervalMs?: number;
}

export interface OutboxRelayStatus {
  running: boolean;
  backlog: number;
  oldestPendingAgeMs: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastPublishedAt: number | null;
  published: number;
}

/**
 * Moves outbox rows to Kafka. Guarantees, honestly stated:
 * - every committed row is published eventually: rows stay pending until acknowledged, and
 *   failures (Kafka or registry down) are retried with exponential backoff, forever;
 * - order per aggregate: one batch at a time, in `seq` order, and a failed batch is retried
 *   from its first row, so no later event overtakes an earlier one;
 * - no duplicates from retries within a producer session (idempotent producer);
 * - a crash before the publish (after the commit) loses nothing and duplicates nothing: the
 *   rows are simply still pending;
 * - a crash after Kafka acknowledged a batch but before it was marked sent leaves that batch
 *   "in doubt". With `recovery`, the relay looks for those eventIds on the topic after restart
 *   and marks the ones it finds as sent, so each eventId reaches the topic once. Without it
 *   (or if another writer races it), the batch is re-sent with the same eventIds, and the
 *   consumers' dedupe by eventId is what keeps delivery once end to end. That dedupe is the
 *   guarantee the system relies on; recovery only keeps the topic clean.
 */
export class OutboxRelay {
  private readonly outbox: SqliteOutbox;
  private readonly publisher: OutboxPublisher;
  private readonly logger: FastifyBaseLogger;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly lingerMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly hooks: OutboxRelayHooks;
  private readonly recovery: PublishedEventFinder | undefined;
  private readonly reachable: (() => Promise<boolean>) | undefined;
  private readonly reachabilityIntervalMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private unsubscribe: (() => void) | undefined;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastPublishedAt: number | null = null;
  private published = 0;

  constructor(options: OutboxRelayOptions) {
    this.outbox = options.outbox;
    this.publisher = options.publisher;
    this.logger = options.logger;
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.lingerMs = options.lingerMs ?? 10;
    this.backoff = options.backoff ?? { initialMs: 250, maxMs: 15_000 };
    this.hooks = options.hooks ?? {};
    this.recovery = options.recovery;
    this.reachable = options.reachable;
    this.reachabilityIntervalMs = options.reachabilityIntervalMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.outbox.onAppend(() => this.wake());
    this.loop = this.run();
  }

  /** Stops after the batch in flight (if any) is acknowledged or fails. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake();
    await this.loop;
  }

  status(): OutboxRelayStatus {
    return {
      running: this.running,
      backlog: this.outbox.backlog(),
      oldestPendingAgeMs: this.outbox.oldestPendingAgeMs(),
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastPublishedAt: this.lastPublishedAt,
      published: this.published,
    };
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      // A backoff sleep is not cut short by new rows (that would hammer a dead broker), only by stop().
      this.wakeUp = wakeable ? done : () => (this.running ? undefined : done());
    });
  }

  /** Settles rows a crash left in doubt; retried with backoff until Kafka answers. */
  private async recover(): Promise<void> {
    if (!this.recovery) return;
    for (let attempt = 1; this.running; attempt += 1) {
      const doubt = this.outbox.inDoubt();
      if (doubt === undefined) return;
      try {
        const found = await this.recovery.findPublished(doubt.rows, doubt.since);
        const sent = doubt.rows.filter((r) => found.has(r.eventId)).map((r) => r.seq);
        const notSent = doubt.rows.filter((r) => !found.has(r.eventId)).map((r) => r.seq);
        this.outbox.markSent(sent);
        this.outbox.recordFailure(notSent, 'not on the topic after restart');
        this.logger.info(
          { inDoubt: doubt.rows.length, alreadyPublished: sent.length },
          'outbox recovery done',
        );
        return;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        const delay = backoffDelay(attempt, this.backoff);
        this.logger.warn({ err: error, retryInMs: delay }, 'outbox recovery failed; retrying');
        await this.sleep(delay, false);
      }
    }
  }

  private async run(): Promise<void> {
    await this.recover();
    while (this.running) {
      this.woken = false;
      let rows: OutboxRow[];
      try {
        rows = this.outbox.pending(this.batchSize);
      } catch (error) {
        this.logger.error({ err: error }, 'outbox read failed');
        await this.sleep(this.pollIntervalMs, false);
        continue;
      }
      if (rows.length === 0) {
        if (!this.woken) await this.sleep(this.pollIntervalMs, true);
        if (this.lingerMs > 0 && this.running) await this.sleep(this.lingerMs, false);
        continue;
      }
      this.hooks.afterFetch?.(rows);
      const ok = await this.publishBatch(rows);
      if (ok) {
        this.hooks.afterPublish?.(rows);
        this.outbox.markSent(rows.map((r) => r.seq));
        this.published += rows.length;
        this.lastPublishedAt = Date.now();
        if (this.consecutiveFailures > 0)
          this.logger.info({ rows: rows.length }, 'outbox relay recovered');
        this.consecutiveFailures = 0;
        this.lastError = null;
        // Under steady load rows keep arriving while a batch is in flight: after one that was
        // not full, linger again before the next read (the rows are marked sent already), so
        // each produce carries a lingerMs worth of rows, not the few of one round trip.
        if (rows.length < this.batchSize && this.lingerMs > 0 && this.running)
          await this.sleep(this.lingerMs, false);
      } else {
        this.consecutiveFailures += 1;
        const delay = backoffDelay(this.consecutiveFailures, this.backoff);
        this.logger.warn(
          {
            attempt: this.consecutiveFailures,
            retryInMs: delay,
            backlog: this.outbox.backlog(),
            error: this.lastError,
          },
          'outbox publish failed; retrying with backoff',
        );
        await this.backoffSleep(delay);
      }
    }
  }

  /**
   * Sleeps out a backoff delay, cut short when Kafka comes back: with a `reachable` probe, a
   * probe that fails and a later one that succeeds end the sleep. A probe that succeeds from
   * the start does not (the failure was something else, e.g. the registry), so a healthy
   * broker is never hammered by an outage elsewhere.
   */
  private async backoffSleep(delayMs: number): Promise<void> {
    const reachable = this.reachable;
    if (!reachable || delayMs <= this.reachabilityIntervalMs) return this.sleep(delayMs, false);
    const until = Date.now() + delayMs;
    let seenUnreachable = false;
    while (this.running) {
      const left = until - Date.now();
      if (left <= 0) return;
      await this.sleep(Math.min(this.reachabilityIntervalMs, left), false);
      if (!this.running || Date.now() >= until) return;
      const answers = await reachable().catch(() => false);
      if (!answers) seenUnreachable = true;
      else if (seenUnreachable) {
        this.logger.info(
          { backlog: this.outbox.backlog() },
          'Kafka answers again; retrying the outbox now',
        );
        return;
      }
    }
  }

  private async publishBatch(rows: readonly OutboxRow[]): Promise<boolean> {
    this.outbox.markPublishing(rows.map((r) => r.seq));
    try {
      await this.publisher.publish(rows);
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.lastError = message;
      try {
        this.outbox.recordFailure(
          rows.map((r) => r.seq),
          message,
        );
      } catch (recordError) {
        this.logger.error({ err: recordError }, 'could not record the outbox failure');
      }
      return false;
    }
  }
}
