import { RegistryCodec } from '@fanout/contracts';
import { planReplay, publishReplay } from '@fanout/dead-letters';
import type { ReplayOutcome } from '@fanout/dead-letters';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config';
import { withCliTelemetry } from '../cli-telemetry';
import {
  formatDeadLetterId,
  isDeadLetterTopic,
  parseDeadLetterId,
  renderDeadLetter,
  renderDeadLetterList,
  replayTarget,
  summarizeDeadLetter,
  jsonReplacer,
  ReplayHeaders,
} from '../dead-letter-record';
import { cliKafka, connectAdmin, kafkaUnreachable } from '../kafka-connection';
import { progressBar } from '../progress';
import { readTopics } from '../topic-reader';
import type { TopicRecord } from '../topic-reader';

/** `fanout dlq list [--group g]`: every dead-lettered record, oldest first per topic. */
export async function dlqListCommand(config: CliConfig, group?: string): Promise<string> {
  const kafka = cliKafka(config);
  const admin = await connectAdmin(kafka, config);
  try {
    const all = (await admin.listTopics()).filter(isDeadLetterTopic).sort();
    const topics = group ? all.filter((t) => t === `${group}.dlq`) : all;
    if (group && topics.length === 0)
      throw new CliError(
        `consumer group "${group}" has no dead-letter topic (${group}.dlq): \`npx fanout dlq list\` lists every one`,
      );
    const progress = progressBar('reading dead-letter topics', config.json);
    let records: TopicRecord[];
    try {
      records = await readTopics(
        kafka,
        admin,
        topics.map((topic) => ({ topic })),
        { onProgress: (done, total) => progress.update(done, total) },
      );
    } finally {
      progress.stop();
    }
    const rows = records
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.timestamp - b.timestamp)
      .map(summarizeDeadLetter);
    return config.json ? JSON.stringify(rows, null, 2) : renderDeadLetterList(rows);
  } finally {
    await admin.disconnect();
  }
}

async function readDeadLetter(config: CliConfig, idText: string) {
  const id = parseDeadLetterId(idText);
  const kafka = cliKafka(config);
  const admin = await connectAdmin(kafka, config);
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(id.topic))
      throw new CliError(
        `no dead-letter topic ${id.topic}: \`npx fanout dlq list\` shows the records there are`,
      );
    const [record] = await readTopics(
      kafka,
      admin,
      [{ topic: id.topic, partitions: [id.partition], fromOffset: id.offset }],
      { stopWhen: () => true, timeoutMs: 30_000 },
    );
    if (!record || record.offset !== id.offset)
      throw new CliError(
        `no record at ${formatDeadLetterId(id)} (deleted by retention, or a wrong id): \`npx fanout dlq list\` shows the records there are`,
      );
    return { kafka, admin, record };
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
}

async function decodeValue(config: CliConfig, record: TopicRecord): Promise<unknown> {
  if (!record.value) return null;
  const codec = new RegistryCodec({ registry: { url: config.schemaRegistryUrl } });
  try {
    return (await codec.decode(record.value)).value;
  } catch (error) {
    // Poison records are why dead-letter topics exist: show what can be shown.
    return {
      undecodable: (error as Error).message,
      bytesBase64: record.value.toString('base64'),
    };
  } finally {
    await codec.close();
  }
}

/** `fanout dlq show <id>`: the failure, every header and the decoded event. */
export async function dlqShowCommand(config: CliConfig, idText: string): Promise<string> {
  const { admin, record } = await readDeadLetter(config, idText);
  await admin.disconnect();
  const value = await decodeValue(config, record);
  const summary = summarizeDeadLetter(record);
  // Records produced without the standard headers still carry the id in their metadata.
  const metadataId = (value as { metadata?: { eventId?: unknown } } | null)?.metadata?.eventId;
  if (summary.eventId === '-' && typeof metadataId === 'string') summary.eventId = metadataId;
  if (config.json)
    return JSON.stringify({ ...summary, headers: record.headers, value }, jsonReplacer, 2);
  return renderDeadLetter(summary, record.headers, value);
}

export type { ReplayOutcome } from '@fanout/dead-letters';

/**
 * `fanout dlq replay <id> [--dry-run]`: re-publishes the original record (same key, same bytes,
 * same event id) to its original topic. The replay span continues the dead-letter record's
 * trace and links the first delivery's context, so Jaeger shows the replay in the same trace.
 * If the cause is not fixed, the consumer dead-letters the replay again, and that record names
 * this one in `fanout.replay_of`: nothing is lost and the attempts stay linked. Every consumer
 * group of the original topic sees the replayed record; their dedupe stores and the downstream
 * Idempotency-Key make that harmless for groups that handled it the first time.
 */
export async function dlqReplayCommand(
  config: CliConfig,
  idText: string,
  dryRun: boolean,
): Promise<string> {
  const { kafka, admin, record } = await readDeadLetter(config, idText);
  let outcome: ReplayOutcome;
  try {
    const topic = replayTarget(record);
    if (dryRun) outcome = planReplay(record);
    else outcome = await withCliTelemetry(() => replay(config, kafka, record, topic));
  } finally {
    await admin.disconnect();
  }
  if (config.json) return JSON.stringify(outcome, null, 2);
  const head = dryRun
    ? `dry run: would replay ${outcome.id} to ${outcome.topic}`
    : `replayed ${outcome.id} to ${outcome.topic}:${outcome.partition}@${outcome.offset}`;
  return [
    `${head} (event ${outcome.eventId}, key ${outcome.key ?? '-'})`,
    `  ${ReplayHeaders.replayOf}: ${outcome.headers[ReplayHeaders.replayOf]}`,
    ...(outcome.traceId ? [`  trace: npx fanout trace ${outcome.traceId}`] : []),
  ].join('\n');
}

async function replay(
  config: CliConfig,
  kafka: ReturnType<typeof cliKafka>,
  record: TopicRecord,
  topic: string,
): Promise<ReplayOutcome> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    try {
      await producer.connect();
    } catch (error) {
      throw kafkaUnreachable(config, error);
    }
    return await publishReplay(producer, record);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`replay to ${topic} failed: ${(error as Error).message}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
