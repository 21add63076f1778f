import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { NonRetriableError } from '@fanout/errors';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { createFastifyInstrumentation, useFastifyInstrumentation } from './fastify-otel-plugin';
import { defaultInstrumentations, type Instrumentation } from './instrumentations';
import { createPrometheusReader, servePrometheusReader } from './metrics-endpoint';
import { RedactingSpanExporter } from './redacting-span-exporter';
import { createTraceExporterFromEnv } from './trace-exporter';

// Stable in the semantic conventions registry, but exported from the incubating entry point only.
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';

export interface TelemetryOptions {
  /** `service.name`; `OTEL_SERVICE_NAME` overrides it, as the OTel spec requires. */
  serviceName: string;
  serviceVersion?: string;
  /** Added to the defaults (http, undici, Fastify), e.g. a service-specific instrumentation. */
  instrumentations?: Instrumentation[];
  /**
   * Replaces the exporter the environment asks for (tests pass an InMemorySpanExporter). Spans
   * still pass through redaction first.
   */
  traceExporter?: SpanExporter;
}

export interface Telemetry {
  readonly serviceName: string;
  /**
   * `service.instance.id`: a fresh UUID per process, so replicas are told apart in Jaeger, unless
   * OTEL_RESOURCE_ATTRIBUTES sets one.
   */
  readonly serviceInstanceId: string;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /**
   * Flushes spans, stops the metric reader and unregisters the globals and instrumentations, so
   * telemetry can be started again in the same process. Safe to call twice.
   */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/** A `service.instance.id` given in OTEL_RESOURCE_ATTRIBUTES (e.g. the pod name) wins over ours. */
function instanceIdFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const [key, value] = pair.split('=');
    if (key?.trim() === ATTR_SERVICE_INSTANCE_ID && value?.trim()) {
      return decodeURIComponent(value.trim());
    }
  }
  return undefined;
}

/**
 * Starts tracing and metrics for this process. Call it once, first thing in main.ts, before
 * importing the code that loads http servers, Fastify or undici (see README for the pattern).
 * Reads the environment here, never at module load, so tests can set it first.
 *
 * Honoured: OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER
 * (otlp|console|none), OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT / _PROTOCOL / _HEADERS / _TIMEOUT,
 * OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS (default tracecontext,baggage), OTEL_BSP_*,
 * OTEL_LOG_LEVEL.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (running) {
    throw new NonRetriableError(
      'FANOUT_TELEMETRY_ALREADY_STARTED',
      `telemetry is already running for ${running.serviceName}: call startTelemetry once per process`,
    );
  }
  // The standard OTEL_* variables, read here and by the SDK's own start, never at module load.
  const env = process.env;
  const serviceInstanceId = instanceIdFromEnv(env) ?? randomUUID();
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || options.serviceName;

  const exporter = options.traceExporter ?? createTraceExporterFromEnv(env);
  const spanProcessor = exporter
    ? new BatchSpanProcessor(new RedactingSpanExporter(exporter))
    : undefined;
  const metricReader = createPrometheusReader();
  const fastify = createFastifyInstrumentation();
  const instrumentations = [
    ...defaultInstrumentations(),
    fastify,
    ...(options.instrumentations ?? []),
  ];

  const sdk = new NodeSDK({
    // The env detector merges OTEL_RESOURCE_ATTRIBUTES on top (deployment.environment, ...).
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: serviceInstanceId,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
    // Passed explicitly so the env detector cannot replace it with `unknown_service`.
    serviceName,
    spanProcessors: spanProcessor ? [spanProcessor] : [],
    metricReaders: [metricReader],
    // No OTLP log pipeline: logs go to stdout as JSON (createLogger), and Jaeger takes no logs.
    logRecordProcessors: [],
    instrumentations,
    // Sampler and propagators are left unset on purpose: the SDK then builds them from
    // OTEL_TRACES_SAMPLER(_ARG) and OTEL_PROPAGATORS (default: parent-based always-on, W3C
    // tracecontext + baggage).
  });
  sdk.start();
  // Instrumentation patches a module when it is required after registration. Requiring the core
  // http modules here patches their shared exports (Server.prototype.emit, request) even when
  // Fastify or another server loaded them before startTelemetry ran.
  const load = createRequire(import.meta.url);
  load('node:http');
  load('node:https');
  // With OTEL_SDK_DISABLED the reader is never bound to a MeterProvider: /metrics answers empty.
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  servePrometheusReader(disabled ? undefined : metricReader);
  useFastifyInstrumentation(fastify);

  let stopped: Promise<void> | undefined;
  const handle: Telemetry = {
    serviceName,
    serviceInstanceId,
    forceFlush: async () => {
      await spanProcessor?.forceFlush();
    },
    shutdown: () => {
      stopped ??= (async () => {
        try {
          await sdk.shutdown();
        } catch (error) {
          // A collector that is down must not turn a clean stop into a crash.
          diag.error('telemetry shutdown failed', error);
        } finally {
          for (const instrumentation of instrumentations) instrumentation.disable();
          useFastifyInstrumentation(undefined);
          servePrometheusReader(undefined);
          trace.disable();
          metrics.disable();
          propagation.disable();
          context.disable();
          running = undefined;
        }
      })();
      return stopped;
    },
  };
  running = handle;
  return handle;
}
