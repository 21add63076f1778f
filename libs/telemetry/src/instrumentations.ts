import type { IncomingMessage } from 'node:http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { UNTRACED_PATHS } from './fastify-otel-plugin';

export type Instrumentation = Exclude<
  NonNullable<NodeSDKConfiguration['instrumentations']>[number],
  readonly unknown[]
>;

/**
 * Request headers worth seeing on a span. Everything else is left out by default: the
 * instrumentations capture no header unless named here, which keeps Authorization, cookies and
 * API keys out of spans before redaction even runs.
 */
const CAPTURED_REQUEST_HEADERS = ['idempotency-key', 'x-request-id'];

/**
 * Origins that @fanout/downstream's DownstreamClient traces itself (its own CLIENT span when
 * the call is sampled, its own traceparent always): see libs/downstream's
 * self-traced-origins.ts, which owns this registry on globalThis under the same symbol.
 */
const SELF_TRACED_ORIGINS_KEY = Symbol.for('fanout.downstream.selfTracedOrigins');

function isSelfTracedRequest(request: { origin?: unknown }): boolean {
  const origins = (globalThis as { [SELF_TRACED_ORIGINS_KEY]?: Map<string, number> })[
    SELF_TRACED_ORIGINS_KEY
  ];
  return origins !== undefined && origins.size > 0 && origins.has(String(request.origin));
}

function isUntracedIncoming(request: IncomingMessage): boolean {
  const path = (request.url ?? '').split('?')[0] ?? '';
  return UNTRACED_PATHS.includes(path);
}

/**
 * http (server and client spans, context extraction for incoming requests) and undici (client
 * spans and traceparent injection for undici and global fetch). They do not overlap: undici does
 * not go through node:http. kafkajs is deliberately absent: see README.
 */
export function defaultInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: isUntracedIncoming,
      headersToSpanAttributes: {
        server: { requestHeaders: CAPTURED_REQUEST_HEADERS },
        client: { requestHeaders: CAPTURED_REQUEST_HEADERS },
      },
    }),
    new UndiciInstrumentation({
      headersToSpanAttributes: { requestHeaders: CAPTURED_REQUEST_HEADERS },
      ignoreRequestHook: isSelfTracedRequest,
    }),
  ];
}
