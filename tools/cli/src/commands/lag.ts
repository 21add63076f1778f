import { CliError } from '../cli-error';
import type { CliConfig } from '../config';
import { cliKafka, connectAdmin } from '../kafka-connection';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

/** `fanout lag`: for every consumer group, committed offset versus log end, per partition. */
export async function lagCommand(config: CliConfig, onlyGroup?: string): Promise<string> {
  const admin = await connectAdmin(cliKafka(config), config);
  try {
    const { groups } = await admin.listGroups();
    const names = groups
      .map((g) => g.groupId)
      .filter((g) => (onlyGroup ? g === onlyGroup : true))
      .sort();
    if (onlyGroup && names.length === 0)
      throw new CliError(`no consumer group "${onlyGroup}": \`npx fanout lag\` lists them all`);
    const rows: PartitionLag[] = [];
    for (const group of names) {
      const offsets = await admin.fetchOffsets({ groupId: group });
      for (const { topic, partitions } of offsets) {
        const ends = new Map(
          (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]),
        );
        for (const p of partitions) {
          const end = ends.get(p.partition) ?? 0;
          const committed = Number(p.offset) < 0 ? 0 : Number(p.offset);
          rows.push({
            group,
            topic,
            partition: p.partition,
            committed,
            end,
            lag: Math.max(0, end - committed),
          });
        }
      }
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
