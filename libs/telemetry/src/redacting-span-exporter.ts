import type { Attributes, Link } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { redactValue, scrubString } from './redaction-rules';

/** Copies only when something changes: most spans carry nothing to redact. */
function redactAttributes(attributes: Attributes): Attributes {
  let out: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    const redacted = redactValue(key, value) as Attributes[string];
    const changed =
      Array.isArray(value) && Array.isArray(redacted)
        ? redacted.some((item, i) => item !== value[i])
        : redacted !== value;
    if (changed) {
      out ??= { ...attributes };
      out[key] = redacted;
    }
  }
  return out ?? attributes;
}

function redactAttributed<T extends { attributes?: Attributes }>(item: T): T {
  if (!item.attributes) return item;
  const attributes = redactAttributes(item.attributes);
  return attributes === item.attributes ? item : { ...item, attributes };
}

/**
 * The span with personal data and secrets removed from its name, attributes, event attributes,
 * link attributes and status message: a copy when anything changed, the span itself otherwise.
 * Ids, timing, status code and resource stay untouched, so the trace reads the same in Jaeger.
 */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const attributes = redactAttributes(span.attributes);
  const name = scrubString(span.name);
  const message = span.status.message === undefined ? undefined : scrubString(span.status.message);
  const links = span.links.map((link): Link => redactAttributed(link));
  const events = span.events.map((event): TimedEvent => redactAttributed(event));
  if (
    attributes === span.attributes &&
    name === span.name &&
    message === span.status.message &&
    links.every((link, i) => link === span.links[i]) &&
    events.every((event, i) => event === span.events[i])
  ) {
    return span;
  }
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: message === span.status.message ? span.status : { ...span.status, message },
    attributes,
    links,
    events,
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
