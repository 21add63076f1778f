import type { Attributes, Link } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { redactValue, scrubString } from './redaction-rules';

function redactAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = redactValue(key, value) as Attributes[string];
  }
  return out;
}

/**
 * A copy of the span with personal data and secrets removed from its name, attributes, event
 * attributes and link attributes. Ids, timing, status code and resource stay untouched, so the
 * trace still reads the same in Jaeger.
 */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: scrubString(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status:
      span.status.message === undefined
        ? span.status
        : { ...span.status, message: scrubString(span.status.message) },
    attributes: redactAttributes(span.attributes),
    links: span.links.map(
      (link): Link =>
        link.attributes ? { ...link, attributes: redactAttributes(link.attributes) } : link,
    ),
    events: span.events.map(
      (event): TimedEvent =>
        event.attributes ? { ...event, attributes: redactAttributes(event.attributes) } : event,
    ),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/**
 * Wraps the real exporter so nothing leaves the process unredacted. It runs on the batch
 * processor's export path, off the request path, and it is the only door to the collector, so
 * spans from instrumentations we do not control (http, undici, fastify) are covered too.
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
