import { SpanKind, SpanStatusCode, ROOT_CONTEXT, propagation, trace } from '@opentelemetry/api';
import type { Link } from '@opentelemetry/api';
import type { Producer } from 'kafkajs';
import { NonRetriableError } from '@fanout/errors';
import { Headers } from '@fanout/messaging';
import { ReplayHeaders, formatDeadLetterId, replayHeaders } from './dead-letter-record';
import type { DeadLetterRecord } from './dead-letter-record';

/** What a replay wrote (or, for a dry run, would write). */
export interface ReplayOutcome {
  id: string;
  dryRun: boolean;
  topic: string;
  key: string | null;
  eventId: string;
  headers: Record<string, string>;
  partition?: number;
  offset?: string;
  /** The trace the replay span belongs to: the dead-letter record's, so the first delivery's. */
  traceId?: string | null;
}

/** Where a dead-letter record must be replayed to; FANOUT_NOT_REPLAYABLE when it cannot be. */
export function replayTarget(record: DeadLetterRecord): string {
  const topic = record.headers[Headers.originalTopic];
  if (!topic)
    throw new NonRetriableError(
      'FANOUT_NOT_REPLAYABLE',
      `${formatDeadLetterId(record)} has no ${Headers.originalTopic} header: it was not written by the Fanout runtime and cannot be replayed`,
    );
  return topic;
}

/** The replay as it would be published, without publishing (a dry run). */
export function planReplay(record: DeadLetterRecord, now = Date.now()): ReplayOutcome {
  const headers = replayHeaders(record, now);
  return {
    id: formatDeadLetterId(record),
    dryRun: true,
    topic: replayTarget(record),
    key: record.key,
    eventId: record.headers[Headers.messageId] ?? '?',
    headers,
  };
}

/**
 * Re-publishes the original record (same key, same bytes, same event id) to its original
 * topic, the rules of `fanout dlq replay` and the console alike. The replay span continues the
 * dead-letter record's trace and links the first delivery's context, so Jaeger shows the replay
 * in the same trace. If the cause is not fixed, the consumer dead-letters the replay again and
 * that record names this one in `fanout.replay_of`: nothing is lost, the attempts stay linked.
 * `producer` must be connected (idempotent, acks=all is used).
 */
export async function publishReplay(
  producer: Producer,
  record: DeadLetterRecord,
  now = Date.now(),
): Promise<ReplayOutcome> {
  const plan = planReplay(record, now);
  const tracer = trace.getTracer('@fanout/dead-letters');
  // Parent: the dead-lettering span (the record's traceparent); link: the first delivery.
  const parent = propagation.extract(ROOT_CONTEXT, {
    traceparent: record.headers[Headers.traceparent] ?? '',
  });
  const first = plan.headers[ReplayHeaders.originalTraceparent];
  const firstContext = first
    ? trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: first }))
    : undefined;
  const links: Link[] = firstContext
    ? [{ context: firstContext, attributes: { 'fanout.link': 'original delivery' } }]
    : [];
  const span = tracer.startSpan(
    `replay ${plan.topic}`,
    {
      kind: SpanKind.PRODUCER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': plan.topic,
        'messaging.operation.type': 'send',
        'messaging.message.id': plan.eventId,
        ...(record.key ? { 'messaging.kafka.message.key': record.key } : {}),
        [ReplayHeaders.replayOf]: plan.id,
      },
    },
    parent,
  );
  propagation.inject(trace.setSpan(parent, span), plan.headers, {
    set: (carrier: Record<string, string>, key, value) => {
      carrier[key] = value;
    },
  });
  try {
    const [meta] = await producer.send({
      topic: plan.topic,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: plan.headers }],
    });
    span.setStatus({ code: SpanStatusCode.OK });
    return {
      ...plan,
      dryRun: false,
      partition: meta?.partition,
      offset: meta?.baseOffset,
      traceId: trace.isSpanContextValid(span.spanContext()) ? span.spanContext().traceId : null,
    };
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
