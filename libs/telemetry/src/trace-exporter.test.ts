import { createRequire } from 'node:module';
import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createTraceExporterFromEnv, otlpProtocolFromEnv } from './trace-exporter';

const load = createRequire(import.meta.url);
const exporterOf = (name: string) =>
  (load(name) as { OTLPTraceExporter: new () => unknown }).OTLPTraceExporter;

describe('createTraceExporterFromEnv', () => {
  it('exports OTLP over http/protobuf when nothing is configured', () => {
    expect(otlpProtocolFromEnv({})).toBe('http/protobuf');
    expect(createTraceExporterFromEnv({})).toBeInstanceOf(
      exporterOf('@opentelemetry/exporter-trace-otlp-proto'),
    );
  });

  it('follows OTEL_EXPORTER_OTLP_PROTOCOL, the traces-specific variable first', () => {
    expect(createTraceExporterFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeInstanceOf(
      exporterOf('@opentelemetry/exporter-trace-otlp-grpc'),
    );
    expect(
      createTraceExporterFromEnv({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }),
    ).toBeInstanceOf(exporterOf('@opentelemetry/exporter-trace-otlp-http'));
  });

  it('honours OTEL_TRACES_EXPORTER none and console', () => {
    expect(createTraceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(createTraceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBeInstanceOf(
      ConsoleSpanExporter,
    );
  });

  it('fails at start naming the variable when a value is not supported', () => {
    expect(() => createTraceExporterFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).toThrow(
      expect.objectContaining({
        code: 'FANOUT_CONFIG_INVALID',
        message: expect.stringContaining('OTEL_EXPORTER_OTLP_PROTOCOL'),
      }),
    );
    expect(() => createTraceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /OTEL_TRACES_EXPORTER/,
    );
  });
});
