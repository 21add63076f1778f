import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';

/** Prometheus text exposition format 0.0.4, what `/metrics` answers with. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let current: PrometheusExporter | undefined;
const serializer = new PrometheusSerializer();

/**
 * A metric reader that never opens its own port: each service serves `/metrics` on its one HTTP
 * port through `metricsHandler()` or `metricsText()`.
 */
export function createPrometheusReader(): PrometheusExporter {
  return new PrometheusExporter({ preventServerStart: true });
}

/** Makes `reader` the one `/metrics` serves (startTelemetry does this; tests may too). */
export function servePrometheusReader(reader: PrometheusExporter | undefined): void {
  current = reader;
}

/** The current metrics in Prometheus text format; empty when telemetry was not started. */
export async function metricsText(): Promise<string> {
  if (!current) return '';
  const { resourceMetrics } = await current.collect();
  return serializer.serialize(resourceMetrics);
}

/**
 * A node:http handler for `GET /metrics`. With Fastify:
 * `app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metricsText()))`.
 */
export function metricsHandler(): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    metricsText().then(
      (text) => {
        response.statusCode = 200;
        response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
        response.end(text);
      },
      (error: unknown) => {
        response.statusCode = 500;
        response.setHeader('content-type', 'text/plain; charset=utf-8');
        response.end(`# metrics collection failed: ${String(error)}\n`);
      },
    );
  };
}
