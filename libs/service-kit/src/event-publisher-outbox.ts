import type { Context } from '@opentelemetry/api';
import type { OutboxPublisher } from './outbox-relay';
import type { OutboxRow } from './outbox-store';
import { restoreTraceContext } from './trace-context';

/**
 * The part of @fanout/messaging's EventPublisher the relay needs, typed structurally so the
 * kit does not pin the messaging runtime: one idempotent, acks=all produce per batch, order
 * kept per key, each event's producer span a child of its own `context`.
 */
export interface BatchEventPublisher {
  /** Called before each batch; a no-op once connected. */
  connect?(): Promise<void>;
  publishBatch(
    requests: readonly {
      topic: string;
      key: string;
      eventType: string;
      value: unknown;
      headers?: Record<string, string>;
      context?: Context;
    }[],
  ): Promise<unknown>;
}

/**
 * Adapts an EventPublisher to the relay: each row continues the trace stored with it.
 * `beforeFirstPublish` runs once Kafka is reachable (e.g. to ensure the topics exist).
 */
export function outboxPublisherFor(
  publisher: BatchEventPublisher,
  options: { beforeFirstPublish?: () => Promise<void> } = {},
): OutboxPublisher {
  let prepared = false;
  return {
    async publish(rows: readonly OutboxRow[]) {
      // Connecting here, not at start, lets a service start and accept writes while Kafka is down.
      await publisher.connect?.();
      if (!prepared && options.beforeFirstPublish) await options.beforeFirstPublish();
      prepared = true;
      await publisher.publishBatch(
        rows.map((row) => ({
          topic: row.topic,
          key: row.aggregateId,
          eventType: row.eventType,
          value: row.payload,
          headers: row.headers,
          context: restoreTraceContext(row.trace),
        })),
      );
    },
  };
}
