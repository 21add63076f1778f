import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';

/** Request headers worth a span attribute (the same as @fanout/telemetry's instrumentations). */
const CAPTURED_REQUEST_HEADERS = ['idempotency-key', 'x-request-id'] as const;

export interface HttpExchange {
  method: string;
  origin: string;
  /** Path and query as sent. */
  path: string;
  headers: Record<string, string>;
}

/**
 * The CLIENT span of one HTTP exchange, a child of the call's span, with the attributes the
 * OTel undici instrumentation gives (semantic conventions), and the W3C trace context injected
 * into `exchange.headers`. Nothing is built when the call's span is not recorded (unsampled):
 * only the `traceparent` of the call's span goes out, so the API continues the same decision.
 */
export function startHttpClientSpan(callSpan: Span, exchange: HttpExchange): Span | null {
  const parent = trace.setSpan(context.active(), callSpan);
  if (!callSpan.isRecording()) {
    propagation.inject(parent, exchange.headers);
    return null;
  }
  const url = new URL(exchange.path, exchange.origin);
  const scheme = url.protocol.slice(0, -1);
  const attributes: Attributes = {
    'http.request.method': exchange.method,
    'url.full': url.href,
    'url.path': url.pathname,
    'url.query': url.search,
    'url.scheme': scheme,
    'server.address': url.hostname,
    'server.port': Number(url.port || (scheme === 'https' ? 443 : 80)),
  };
  const userAgent = exchange.headers['user-agent'];
  if (userAgent) attributes['user_agent.original'] = userAgent;
  for (const name of CAPTURED_REQUEST_HEADERS) {
    const value = exchange.headers[name];
    if (value !== undefined) attributes[`http.request.header.${name}`] = [value];
  }
  const span = trace
    .getTracer('@fanout/downstream')
    .startSpan(exchange.method, { kind: SpanKind.CLIENT, attributes }, parent);
  propagation.inject(trace.setSpan(parent, span), exchange.headers);
  return span;
}

/** Ends the exchange's span with the response status (≥ 400 is an error, as the instrumentation does). */
export function endHttpClientSpan(span: Span | null, status: number): void {
  if (!span) return;
  span.setAttribute('http.response.status_code', status);
  if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Ends the exchange's span when no response came (network error, timeout, abort). */
export function failHttpClientSpan(span: Span | null, error: unknown): void {
  if (!span) return;
  const name = error instanceof Error ? error.name : 'Error';
  span.setAttribute('error.type', name);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
  span.end();
}
