import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { Emission } from '@fanout/saga';

const tracer = () => trace.getTracer('@fanout/saga-coordinator');

const getter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key],
};
const setter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** The trace context carried by an input's headers (or by a stored saga). */
export function extractContext(headers: Record<string, string>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/** The W3C headers that continue `span`'s trace. */
export function traceHeaders(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers, setter);
  return headers;
}

/** The span of one saga input (trigger, reply or timer): a child of the input's trace. */
export function startInputSpan(
  name: string,
  parent: Context,
  attributes: Record<string, string | number>,
): Span {
  return tracer().startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
}

/**
 * One span per emitted command, compensation or terminal event, a child of the input's span;
 * its context goes into the emitted record's headers, so the participant's work nests under
 * the step that asked for it.
 */
export function startEmissionSpan(
  parent: Span,
  saga: string,
  sagaId: string,
  emission: Emission,
): Span {
  const name =
    emission.kind === 'command'
      ? `saga ${saga} step ${emission.step}`
      : emission.kind === 'compensation'
        ? `saga ${saga} compensate ${emission.step}`
        : `saga ${saga} ${shortName(emission.eventType)}`;
  return tracer().startSpan(
    name,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'fanout.saga.name': saga,
        'fanout.saga.id': sagaId,
        'fanout.saga.emission': emission.kind,
        'fanout.event_type': emission.eventType,
        ...(emission.step ? { 'fanout.saga.step': emission.step } : {}),
      },
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
}

export function failSpan(span: Span, code: string, message: string): void {
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

export function shortName(eventType: string): string {
  return eventType.slice(eventType.lastIndexOf('.') + 1);
}
