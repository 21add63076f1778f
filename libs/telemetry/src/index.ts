export { startTelemetry } from './start-telemetry';
export type { Telemetry, TelemetryOptions } from './start-telemetry';
export type { Instrumentation } from './instrumentations';
export { fastifyOtelPlugin } from './fastify-otel-plugin';
export { createLogger } from './logger';
export type { CreateLoggerOptions, Logger, LogLevel } from './logger';
export { metricsHandler, metricsText, PROMETHEUS_CONTENT_TYPE } from './metrics-endpoint';
export { fanoutMetrics, createFanoutMetrics } from './fanout-metrics';
export type { FanoutMetrics, ConsumerLabels, ProcessingOutcome } from './fanout-metrics';
export {
  METRIC,
  CIRCUIT_STATE_VALUE,
  LATENCY_BUCKETS_SECONDS,
  SAGA_BUCKETS_SECONDS,
} from './metric-names';
export type { MetricName, CircuitState } from './metric-names';
export { RedactingSpanExporter, redactSpan } from './redacting-span-exporter';
export {
  isSensitiveKey,
  scrubString,
  redactValue,
  REDACTED,
  REDACTED_EMAIL,
} from './redaction-rules';
export { DEFAULT_OTLP_HTTP_ENDPOINT, DEFAULT_OTLP_GRPC_ENDPOINT } from './trace-exporter';
export type { OtlpProtocol } from './trace-exporter';
