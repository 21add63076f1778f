import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

/** W3C trace context as stored beside an outbox row. */
export interface StoredTraceContext {
  traceparent: string | null;
  tracestate: string | null;
}

/**
 * Captures the active trace context (the HTTP request's span) through the globally registered
 * propagator, so a publish that happens later, in another tick or another process, can
 * continue the same trace. Without a registered propagator (telemetry off) both are null.
 */
export function captureTraceContext(from: Context = context.active()): StoredTraceContext {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return { traceparent: carrier.traceparent ?? null, tracestate: carrier.tracestate ?? null };
}

export function restoreTraceContext(stored: StoredTraceContext): Context {
  const carrier: Record<string, string> = {};
  if (stored.traceparent) carrier.traceparent = stored.traceparent;
  if (stored.tracestate) carrier.tracestate = stored.tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}
