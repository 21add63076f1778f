import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { RedactingSpanExporter, redactSpan } from './redacting-span-exporter';
import { REDACTED, REDACTED_EMAIL } from './redaction-rules';

const memory = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new RedactingSpanExporter(memory))],
});
const tracer = provider.getTracer('redaction-test');

afterEach(() => memory.reset());

describe('RedactingSpanExporter', () => {
  it('exports attributes, events, links and status without personal data or secrets', () => {
    const linked = tracer.startSpan('linked');
    linked.end();
    const span = tracer.startSpan('notify ada@example.com', {
      links: [{ context: linked.spanContext(), attributes: { 'user.email': 'ada@example.com' } }],
    });
    span.setAttributes({
      'user.email': 'ada@example.com',
      'http.request.header.authorization': 'Bearer abc',
      'user.lastName': 'Lovelace',
      'url.full': 'https://api.example.com/users?email=ada@example.com',
      'exception.message': 'conflict for ada@example.com',
      'order.id': 'o-1',
      'server.address': 'api.example.com',
    });
    span.addEvent('retry', { reason: 'Bearer xyz rejected', 'customer.phone': '+44 1' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'rejected ada@example.com' });
    span.end();

    const exported = memory.getFinishedSpans().find((s) => s.name !== 'linked');
    expect(exported).toBeDefined();
    if (!exported) return;
    expect(exported.name).toBe(`notify ${REDACTED_EMAIL}`);
    expect(exported.attributes).toEqual({
      'user.email': REDACTED,
      'http.request.header.authorization': REDACTED,
      'user.lastName': REDACTED,
      'url.full': `https://api.example.com/users?email=${REDACTED}`,
      'exception.message': `conflict for ${REDACTED_EMAIL}`,
      'order.id': 'o-1',
      'server.address': 'api.example.com',
    });
    expect(exported.events[0]?.attributes).toEqual({
      reason: `Bearer ${REDACTED} rejected`,
      'customer.phone': REDACTED,
    });
    expect(exported.links[0]?.attributes).toEqual({ 'user.email': REDACTED });
    expect(exported.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: `rejected ${REDACTED_EMAIL}`,
    });
    expect(JSON.stringify(exported.attributes)).not.toContain('ada@example.com');
  });

  it('keeps span identity, parentage and timing, so the trace reads the same', () => {
    const parent = tracer.startSpan('parent');
    const ctx = trace.setSpan(ROOT_CONTEXT, parent);
    const child = tracer.startSpan('child', {}, ctx);
    child.end();
    parent.end();
    const [exportedChild] = memory.getFinishedSpans();
    expect(exportedChild?.spanContext()).toEqual(child.spanContext());
    expect(exportedChild?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(exportedChild?.startTime).toBeDefined();
    expect(exportedChild?.duration).toBeDefined();
  });
});

describe('redactSpan', () => {
  it('returns the span itself when there is nothing to redact, without copying', () => {
    const span = tracer.startSpan('GET /users/:id');
    span.setAttributes({ 'http.route': '/users/:id', 'server.address': '127.0.0.1', tags: ['a'] });
    span.end();
    const [exported] = memory.getFinishedSpans();
    expect(exported).toBeDefined();
    if (exported) expect(redactSpan(exported)).toBe(exported);
  });
});
