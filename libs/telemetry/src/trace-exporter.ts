import { createRequire } from 'node:module';
import { NonRetriableError } from '@fanout/errors';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';

// Exporters are loaded only for the protocol in use: the gRPC one pulls in @grpc/grpc-js, which
// costs start-up time that every restart of every service would pay for nothing.
const load = createRequire(import.meta.url);
type ExporterModule = { OTLPTraceExporter: new (config: { url?: string }) => SpanExporter };
function exporterClass(name: string): ExporterModule['OTLPTraceExporter'] {
  return (load(name) as ExporterModule).OTLPTraceExporter;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/**
 * Where spans go when nothing is configured. The exporters' own default is `localhost`, which
 * Node 20 may resolve to ::1 while the collector listens on 127.0.0.1 (see ARCHITECTURE.md).
 */
export const DEFAULT_OTLP_HTTP_ENDPOINT = 'http://127.0.0.1:4318';
export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://127.0.0.1:4317';

function nonBlank(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function otlpProtocolFromEnv(env: NodeJS.ProcessEnv): OtlpProtocol {
  const protocol =
    nonBlank(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonBlank(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  if (protocol === undefined) return 'http/protobuf';
  if (protocol === 'http/protobuf' || protocol === 'http/json' || protocol === 'grpc') {
    return protocol;
  }
  throw new NonRetriableError(
    'FANOUT_CONFIG_INVALID',
    `OTEL_EXPORTER_OTLP_PROTOCOL="${protocol}" is not supported: use http/protobuf, http/json or grpc`,
  );
}

/**
 * The span exporter the standard environment asks for, or undefined for `OTEL_TRACES_EXPORTER=none`.
 * The OTLP exporters read `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `_HEADERS`, `_TIMEOUT` and
 * `_COMPRESSION` themselves; we only supply the 127.0.0.1 default endpoint.
 */
export function createTraceExporterFromEnv(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  const names = (nonBlank(env.OTEL_TRACES_EXPORTER) ?? 'otlp')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.includes('none')) return undefined;
  if (names.includes('console') && !names.includes('otlp')) return new ConsoleSpanExporter();
  const unsupported = names.filter((name) => name !== 'otlp' && name !== 'console');
  if (unsupported.length > 0) {
    throw new NonRetriableError(
      'FANOUT_CONFIG_INVALID',
      `OTEL_TRACES_EXPORTER="${env.OTEL_TRACES_EXPORTER}" is not supported: use otlp, console or none`,
    );
  }

  const configured =
    nonBlank(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonBlank(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const protocol = otlpProtocolFromEnv(env);
  switch (protocol) {
    case 'grpc':
      return new (exporterClass('@opentelemetry/exporter-trace-otlp-grpc'))(
        configured ? {} : { url: DEFAULT_OTLP_GRPC_ENDPOINT },
      );
    case 'http/json':
      return new (exporterClass('@opentelemetry/exporter-trace-otlp-http'))(
        configured ? {} : { url: `${DEFAULT_OTLP_HTTP_ENDPOINT}/v1/traces` },
      );
    case 'http/protobuf':
      return new (exporterClass('@opentelemetry/exporter-trace-otlp-proto'))(
        configured ? {} : { url: `${DEFAULT_OTLP_HTTP_ENDPOINT}/v1/traces` },
      );
  }
}
