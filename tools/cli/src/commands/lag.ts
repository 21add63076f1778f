import { partitionLag } from '@fanout/messaging';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config';
import { cliKafka, connectAdmin } from '../kafka-connection';
import { lastRecordOffsets, tailKey } from '../partition-tail';
import type { TailRequest } from '../partition-tail';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  end: number;
  /**
   * Offset of the partition's last real record (no transaction marker, no aborted record) at or
   * after `committed`; null when there is none there, or nothing was read (committed = end).
   */
  lastRecord: number | null;
  lag: number;
}

/**
 * How far back from the end a partition is read to find its last real record. Transactions end
 * with one marker each, so a real record is almost always among the last few offsets; a window
 * without one gives the upper bound (every offset before the window counted).
 */
export const TAIL_WINDOW = 1_024;

/**
 * `fanout lag`: for every consumer group, per partition, the offsets from the committed one up to
 * the partition's last real record (partitionLag). Transaction commit markers after it are not
 * lag: a group that handled a transactional topic whole commits one below its end, and reports 0.
 * Only partitions with committed < end are read (their tail, read-committed).
 */
export async function lagCommand(config: CliConfig, onlyGroup?: string): Promise<string> {
  const kafka = cliKafka(config);
  const admin = await connectAdmin(kafka, config);
  try {
    const { groups } = await admin.listGroups();
    const names = groups
      .map((g) => g.groupId)
      .filter((g) => (onlyGroup ? g === onlyGroup : true))
      .sort();
    if (onlyGroup && names.length === 0)
      throw new CliError(`no consumer group "${onlyGroup}": \`npx fanout lag\` lists them all`);
    const rows: PartitionLag[] = [];
    const topicOffsets = new Map<string, Map<number, { low: number; high: number }>>();
    for (const group of names) {
      const offsets = await admin.fetchOffsets({ groupId: group });
      for (const { topic, partitions } of offsets) {
        let ends = topicOffsets.get(topic);
        if (!ends) {
          ends = new Map(
            (await admin.fetchTopicOffsets(topic)).map((p) => [
              p.partition,
              { low: Number(p.low), high: Number(p.high) },
            ]),
          );
          topicOffsets.set(topic, ends);
        }
        for (const p of partitions) {
          const end = ends.get(p.partition)?.high ?? 0;
          const committed = Number(p.offset) < 0 ? 0 : Number(p.offset);
          rows.push({
            group,
            topic,
            partition: p.partition,
            committed,
            end,
            lastRecord: null,
            lag: 0,
          });
        }
      }
    }

    // One read for every partition some group is behind on, from the lowest committed offset
    // (at most TAIL_WINDOW back from the end).
    const tails = new Map<string, TailRequest>();
    for (const r of rows) {
      if (r.committed >= r.end) continue;
      const low = topicOffsets.get(r.topic)?.get(r.partition)?.low ?? 0;
      const from = Math.max(low, r.end - TAIL_WINDOW, r.committed);
      const key = tailKey(r.topic, r.partition);
      const known = tails.get(key);
      tails.set(key, {
        topic: r.topic,
        partition: r.partition,
        from: known ? Math.min(known.from, from) : from,
        end: r.end,
      });
    }
    const last = await lastRecordOffsets(kafka, admin, [...tails.values()]);
    for (const r of rows) {
      const tail = tails.get(tailKey(r.topic, r.partition));
      if (!tail) continue;
      // Nothing real in [from, end): the last record is before `from`, if anywhere.
      const found = last.get(tailKey(r.topic, r.partition)) ?? null;
      r.lastRecord = found ?? (tail.from > r.committed ? tail.from - 1 : null);
      r.lag = partitionLag({
        committed: r.committed,
        highWatermark: r.end,
        lastRecordOffset: r.lastRecord,
      });
    }

    if (config.json) return JSON.stringify(rows, null, 2);
    if (rows.length === 0) return 'no consumer group has committed offsets yet';
    const header = ['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'];
    const table = rows.map((r) => [
      r.group,
      r.topic,
      String(r.partition),
      String(r.committed),
      String(r.end),
      String(r.lag),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    return [header, ...table]
      .map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '))
      .join('\n');
  } finally {
    await admin.disconnect();
  }
}
