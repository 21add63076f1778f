import type { Span } from '@opentelemetry/api';
import type { Emission, SagaState } from '@fanout/saga';
import type { CoordinatorContext } from './coordinator-options';
import { withMetadata } from './event-envelope';
import { Header } from './record-headers';
import { startEmissionSpan, traceHeaders } from './saga-tracing';
import type { TransactionWork } from './saga-transaction';

/** What every emission of one transition shares. */
export interface EmissionScope {
  work: TransactionWork;
  saga: string;
  state: SagaState<Record<string, unknown>>;
  correlationId: string;
  /** The input that caused the transition (null: a timer). */
  causationId: string | null;
  now: number;
  /** The span of the input (or timer) the transition runs under. */
  parent: Span;
}

/**
 * Queues one emitted event of a transition: its envelope metadata, its own span, the record
 * headers (trace context included) and its encoded bytes, keyed by saga id.
 */
export async function queueEmission(
  ctx: CoordinatorContext,
  scope: EmissionScope,
  emission: Emission,
  index: number,
): Promise<void> {
  const { options } = ctx;
  const { work, saga, state, correlationId, causationId, now, parent } = scope;
  const topic = options.topics.routes[emission.eventType]!;
  const value = withMetadata(emission.payload, {
    saga,
    sagaId: state.sagaId,
    version: state.version,
    index,
    correlationId,
    causationId,
    producer: options.producerName,
    occurredAt: now,
  });
  const span = startEmissionSpan(parent, saga, state.sagaId, emission);
  work.spans.push(span);
  const metadata = value.metadata as { eventId: string };
  const headers: Record<string, string> = {
    ...traceHeaders(span),
    [Header.messageId]: metadata.eventId,
    [Header.conversationId]: correlationId,
    [Header.eventType]: emission.eventType,
    [Header.producer]: options.producerName,
    [Header.occurredAt]: String(now),
    [Header.sagaId]: state.sagaId,
    [Header.sagaName]: saga,
  };
  if (causationId) headers[Header.causationId] = causationId;
  const bytes = await options.codec.encode(emission.eventType, value, topic);
  work.records.push({ topic, message: { key: state.sagaId, value: bytes, headers } });
}
