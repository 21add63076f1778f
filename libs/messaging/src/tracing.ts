import { trace, type Tracer } from '@opentelemetry/api';

/**
 * Only @opentelemetry/api here: without a registered SDK every call is a no-op, and the
 * telemetry lib decides exporters and sampling. Attribute names follow the OpenTelemetry
 * messaging semantic conventions.
 */
export function messagingTracer(): Tracer {
  return trace.getTracer('@fanout/messaging', '0.1.0');
}

export const Attr = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  batchCount: 'messaging.batch.message_count',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  key: 'messaging.kafka.message.key',
  consumerGroup: 'messaging.consumer.group.name',
  eventType: 'fanout.event_type',
  attempt: 'fanout.attempt',
  retryTier: 'fanout.retry.tier',
  errorCode: 'error.type',
} as const;
