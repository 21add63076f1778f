import type { Admin } from 'kafkajs';
import { request } from 'undici';
import type { CircuitState } from '@fanout/telemetry';
import { circuitStates } from './circuit-metrics';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  committed: string | null;
  end: string;
  lag: number;
}

export interface BreakerState {
  api: string;
  url: string;
  state: CircuitState | 'unknown' | 'unreachable';
}

export interface HealthSnapshot {
  at: number;
  lag: PartitionLag[];
  breakers: BreakerState[];
  error: string | null;
}

/** The CLI's throwaway reader groups: readers, not services. */
const CLI_READER_GROUP = /^fanout-cli-reader-/;

/**
 * Lag per consumer group and partition (committed offset against the end), and each API's
 * breaker state from its consumer's /metrics. Every look is bounded (kafkajs request timeouts,
 * 2 s per /metrics), and a snapshot is reused for `maxAgeMs`, so a page refresh costs the
 * cluster nothing more.
 */
export class HealthProbe {
  private cached: { snapshot: HealthSnapshot; at: number } | undefined;
  private inFlight: Promise<HealthSnapshot> | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly consumerUrls: Record<string, string>,
    /** The console's own reader group, which never commits: not shown. */
    private readonly ownGroup: string,
    private readonly maxAgeMs = 3_000,
  ) {}

  snapshot(): Promise<HealthSnapshot> {
    if (this.cached && Date.now() - this.cached.at < this.maxAgeMs)
      return Promise.resolve(this.cached.snapshot);
    this.inFlight ??= this.look().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async look(): Promise<HealthSnapshot> {
    const [lag, breakers] = await Promise.all([
      this.lag().then(
        (rows) => ({ rows, error: null }),
        (error: Error) => ({ rows: [] as PartitionLag[], error: error.message }),
      ),
      this.breakers(),
    ]);
    const snapshot = { at: Date.now(), lag: lag.rows, breakers, error: lag.error };
    this.cached = { snapshot, at: snapshot.at };
    return snapshot;
  }

  private async lag(): Promise<PartitionLag[]> {
    const { groups } = await this.admin.listGroups();
    const ids = groups
      .map((g) => g.groupId)
      .filter((id) => id !== this.ownGroup && !CLI_READER_GROUP.test(id))
      .sort();
    const ends = new Map<string, Map<number, string>>();
    const endOf = async (topic: string) => {
      let map = ends.get(topic);
      if (!map) {
        map = new Map(
          (await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
        );
        ends.set(topic, map);
      }
      return map;
    };
    const rows: PartitionLag[] = [];
    for (const groupId of ids) {
      const topics = await this.admin.fetchOffsets({ groupId });
      for (const t of topics) {
        const end = await endOf(t.topic);
        for (const p of t.partitions) {
          const high = end.get(p.partition) ?? '0';
          const committed = Number(p.offset) >= 0 ? p.offset : null;
          rows.push({
            group: groupId,
            topic: t.topic,
            partition: p.partition,
            committed,
            end: high,
            lag: Math.max(0, Number(high) - Number(committed ?? 0)),
          });
        }
      }
    }
    return rows;
  }

  private async breakers(): Promise<BreakerState[]> {
    return Promise.all(
      Object.entries(this.consumerUrls).map(async ([api, url]) => {
        try {
          const response = await request(`${url}/metrics`, {
            headersTimeout: 2_000,
            bodyTimeout: 2_000,
          });
          const text = await response.body.text();
          if (response.statusCode !== 200) return { api, url, state: 'unreachable' as const };
          return { api, url, state: circuitStates(text)[api] ?? ('unknown' as const) };
        } catch {
          return { api, url, state: 'unreachable' as const };
        }
      }),
    );
  }
}
