import { NonRetriableError } from '@fanout/errors';
import type { SagaCoordinatorOptions } from './coordinator-options';

/**
 * Refuses to start on a broken topology: a missing topic, inputs and changelog with different
 * partition counts (co-partitioning), or an emitted event type without a route.
 */
export async function checkTopology(
  options: Pick<SagaCoordinatorOptions, 'kafka' | 'topics' | 'sagas'>,
): Promise<void> {
  const { topics } = options;
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const coPartitioned = [...topics.inputs, topics.state];
    const wanted = [
      ...new Set([...coPartitioned, topics.deadLetter, ...Object.values(topics.routes)]),
    ];
    const metadata = await admin.fetchTopicMetadata({ topics: wanted }).catch((error: unknown) => {
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
    for (const type of options.sagas.emittedTypes())
      if (!topics.routes[type])
        throw new NonRetriableError('SAGA_ROUTE_MISSING', `no topic is configured for ${type}`);
  } finally {
    await admin.disconnect();
  }
}
