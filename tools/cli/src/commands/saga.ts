import { Partitioners } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { Headers } from '@fanout/messaging';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config';
import { cliKafka, connectAdmin } from '../kafka-connection';
import { progressBar } from '../progress';
import { renderSagaTimeline, sagaTimeline } from '@fanout/inspection';
import type { SagaMessage, SagaSnapshot } from '@fanout/inspection';
import { readTopics } from '../topic-reader';

const CHANGELOG = 'fanout.saga.state';
/** Every topic of the order saga, keyed by order id (the catalog's co-partitioned topics). */
const MESSAGE_TOPICS = [
  'fanout.inventory.commands',
  'fanout.payment.commands',
  'fanout.shipping.commands',
  'fanout.saga.replies',
];

/** The partition kafkajs' default partitioner (murmur2, as Java's) picks for a key. */
async function partitionOf(admin: Admin, topic: string, key: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitionMetadata = topics[0]?.partitions ?? [];
  return Partitioners.DefaultPartitioner()({
    topic,
    partitionMetadata,
    message: { key, value: null },
  });
}

/**
 * `fanout saga <orderId>`: the saga's state versions from the changelog (its co-partition only:
 * the coordinator writes state to the order's partition), with the commands and replies on
 * that partition of the saga topics, as one timeline: steps, replies, compensations, outcome.
 */
export async function sagaCommand(config: CliConfig, orderId: string): Promise<string> {
  const kafka = cliKafka(config);
  const admin = await connectAdmin(kafka, config);
  const progress = progressBar('reading saga topics', config.json);
  try {
    const existing = new Set(await admin.listTopics());
    if (!existing.has(CHANGELOG))
      throw new CliError(
        `topic ${CHANGELOG} does not exist: the saga coordinator has not run on this cluster (\`npx fanout stack up --services\`)`,
      );
    const topics = [CHANGELOG, ...MESSAGE_TOPICS.filter((t) => existing.has(t))];
    const requests = await Promise.all(
      topics.map(async (topic) => ({
        topic,
        partitions: [await partitionOf(admin, topic, orderId)],
      })),
    );
    const records = await readTopics(kafka, admin, requests, {
      onProgress: (done, total) => progress.update(done, total),
      timeoutMs: 120_000,
    });
    const snapshots: SagaSnapshot[] = [];
    const messages: SagaMessage[] = [];
    for (const r of records) {
      if (r.topic === CHANGELOG) {
        if (r.key !== `order:${orderId}` || !r.value) continue;
        try {
          const parsed = JSON.parse(r.value.toString('utf8')) as {
            v?: number;
            state?: SagaSnapshot;
          };
          if (parsed.v === 1 && parsed.state) snapshots.push(parsed.state);
        } catch {
          // A record of another format version: not ours to read.
        }
      } else if (r.key === orderId) {
        messages.push({
          topic: r.topic,
          eventType: r.headers[Headers.eventType] ?? '?',
          at: r.timestamp,
        });
      }
    }
    if (snapshots.length === 0)
      throw new CliError(
        `no saga for order "${orderId}" in ${CHANGELOG}: check the id (GET /orders/:id), or the order was placed before the coordinator ran`,
      );
    const timeline = sagaTimeline(snapshots, messages);
    return config.json ? JSON.stringify(timeline, null, 2) : renderSagaTimeline(timeline);
  } finally {
    progress.stop();
    await admin.disconnect();
  }
}
