import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { ConsumedEvent } from './consumed-event';
import type { FailureRecord } from './dead-letter';
import { kafkaHeaderGetter } from './message-headers';
import type { RetryDecision } from './retry-policy';
import { Attr } from './tracing';

export const MAX_BATCH_LINKS = 128;

/** A `receive` span of a batch of two or more records, linked to the records' traces. */
export function startBatchSpan(
  tracer: Tracer,
  groupId: string,
  topic: string,
  partition: number,
  messages: KafkaMessage[],
): Span | null {
  if (messages.length < 2) return null;
  const span = tracer.startSpan(`receive ${topic}`, {
    kind: SpanKind.CONSUMER,
    attributes: {
      [Attr.system]: 'kafka',
      [Attr.destination]: topic,
      [Attr.partition]: String(partition),
      [Attr.operationType]: 'receive',
      [Attr.operationName]: 'receive',
      [Attr.consumerGroup]: groupId,
      [Attr.batchCount]: messages.length,
    },
  });
  // Links cost a trace-context parse per record: only for a span that is recorded.
  if (span.isRecording()) {
    const links: Link[] = [];
    for (let i = 0; i < messages.length && i < MAX_BATCH_LINKS; i += 1) {
      const parent = trace.getSpanContext(
        propagation.extract(ROOT_CONTEXT, messages[i]!.headers ?? {}, kafkaHeaderGetter),
      );
      if (parent) links.push({ context: parent });
    }
    span.addLinks(links);
  }
  return span;
}

/** The `process` span of one record, a child of the trace context its headers carry. */
export function startProcessSpan(
  tracer: Tracer,
  groupId: string,
  topic: string,
  partition: number,
  message: KafkaMessage,
  tier: number,
  eventId: string,
  key: string | null,
  parent: Context,
): Span {
  const span = tracer.startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { [Attr.system]: 'kafka', [Attr.destination]: topic },
    },
    parent,
  );
  // Attributes cost allocations on every event: only build them for a recorded span.
  if (span.isRecording()) {
    span.setAttributes({
      [Attr.partition]: String(partition),
      [Attr.offset]: Number(message.offset),
      [Attr.operationType]: 'process',
      [Attr.operationName]: 'process',
      [Attr.consumerGroup]: groupId,
      [Attr.messageId]: eventId,
      [Attr.retryTier]: tier,
      ...(key === null ? {} : { [Attr.key]: key }),
    });
  }
  return span;
}

/** The span of a handler attempt after the first, so retries show in the trace. */
export function startRetrySpan(tracer: Tracer, event: ConsumedEvent, parent: Context): Span {
  return tracer.startSpan(
    `retry ${event.topic}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { [Attr.attempt]: event.attempt, [Attr.messageId]: event.eventId },
    },
    parent,
  );
}

/** The `send` span of a copy forwarded to a retry tier or to the dead-letter topic. */
export function startForwardSpan(
  tracer: Tracer,
  decision: RetryDecision,
  target: string,
  reason: string | undefined,
  eventId: string,
  failure: FailureRecord,
  parent: Context,
): Span {
  const deadLetter = decision.kind === 'dead-letter';
  return tracer.startSpan(
    `${deadLetter ? 'dead-letter' : 'retry'} ${target}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [Attr.system]: 'kafka',
        [Attr.destination]: target,
        [Attr.operationType]: 'send',
        [Attr.operationName]: 'send',
        [Attr.messageId]: eventId,
        [Attr.errorCode]: failure.errorCode,
        [Attr.attempt]: failure.attempts,
        ...(decision.kind === 'dead-letter'
          ? { 'fanout.dead_letter.reason': reason }
          : { [Attr.retryTier]: decision.tier.index }),
      },
    },
    parent,
  );
}
