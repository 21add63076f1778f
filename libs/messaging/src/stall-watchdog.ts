import type { Admin, Kafka } from 'kafkajs';

/** Rejects after `ms`: a look must never hang the watchdog (kafkajs calls can, in a broker storm). */
function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One look at a group's source partitions: their committed offsets and ends. */
export type PartitionSnapshot = Map<string, { committed: bigint; end: bigint }>;

/**
 * The rule, on two looks `stallMs` apart with no batch begun, running or even fetched empty
 * in between: the consumer is stalled on a partition that received records since the first
 * look (its end grew) while the group's committed offset of it stood still. A lag alone proves
 * nothing: aborted transactions and commit markers at a partition's tail are never consumed,
 * so an idle partition can stay "behind" forever (an earlier rule that counted a lag above one
 * restarted order-service's consumer every 30 s behind an aborted saga transaction).
 */
export function stalledPartitions(before: PartitionSnapshot, now: PartitionSnapshot): string[] {
  const stalled: string[] = [];
  for (const [key, current] of now) {
    const earlier = before.get(key);
    if (!earlier || current.committed !== earlier.committed) continue;
    if (current.end > earlier.end) stalled.push(key);
  }
  return stalled;
}

export interface StallWatchdogDeps {
  kafka: Kafka;
  groupId: string;
  /** The source topics (not retry tiers, whose partitions wait paused on purpose). */
  topics: readonly string[];
  /** `topic/partition` keys this member was assigned at its last join. */
  assigned: () => ReadonlySet<string>;
  stallMs: number;
  /** False while pausing, stopping or rebalancing is what holds the consumer back. */
  watching: () => boolean;
  /** Batches in eachBatch now, and when the last batch (records or only markers) was fetched. */
  activity: () => { running: number; lastBatchAt: number };
  /** Replaces the kafkajs run: stop, run again. */
  restart: (why: string) => Promise<void>;
  warn: (where: string, error: unknown) => void;
}

/**
 * Restarts a consumer that kafkajs stopped feeding without an error (seen after a broker was
 * killed and the group coordinator moved: a JoinGroup answered "coordinator is loading", then
 * no fetch and no crash, with records waiting). Looks every `stallMs` at the group's committed
 * offsets and the partitions' ends; two ListOffsets/OffsetFetch requests per look.
 */
export class StallWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private previous: { snapshot: PartitionSnapshot; at: number } | undefined;
  private looking = false;
  restarts = 0;

  constructor(private readonly deps: StallWatchdogDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.look(), this.deps.stallMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async look(): Promise<void> {
    const { deps } = this;
    if (this.looking) return;
    this.looking = true;
    try {
      if (!deps.watching()) {
        this.previous = undefined;
        return;
      }
      const snapshot = await bounded(this.snapshot(), 10_000, 'reading offsets');
      const { running, lastBatchAt } = deps.activity();
      const previous = this.previous;
      this.previous = { snapshot, at: Date.now() };
      if (!previous || running > 0 || lastBatchAt >= previous.at || !deps.watching()) return;
      const assigned = deps.assigned();
      const stalled = stalledPartitions(previous.snapshot, snapshot).filter((key) =>
        assigned.has(key),
      );
      if (stalled.length === 0) return;
      this.previous = undefined;
      this.restarts += 1;
      // A restart whose rejoin hangs (kafkajs stuck in JoinGroup) is left behind: the next look
      // may restart again, and stopping a run that never started lets a new one begin.
      await bounded(
        deps.restart(
          `no batch for ${Date.now() - previous.at} ms while records arrived on ${stalled.join(', ')}`,
        ),
        Math.max(20_000, deps.stallMs),
        'restarting the consumer',
      );
    } catch (error) {
      deps.warn('stall watchdog', error);
      this.previous = undefined;
    } finally {
      this.looking = false;
    }
  }

  private async snapshot(): Promise<PartitionSnapshot> {
    const admin: Admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      const snapshot: PartitionSnapshot = new Map();
      const committed = await admin.fetchOffsets({
        groupId: this.deps.groupId,
        topics: [...this.deps.topics],
      });
      for (const topic of this.deps.topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const { partition, high } of ends) {
          const offset = mine.find((p) => p.partition === partition)?.offset ?? '-1';
          snapshot.set(`${topic}/${partition}`, { committed: BigInt(offset), end: BigInt(high) });
        }
      }
      return snapshot;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
