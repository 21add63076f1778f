import { stringify } from 'yaml';
import type { Topology } from './topology';

/** Jaeger v2 (an OpenTelemetry Collector distribution) with memory storage, all on 127.0.0.1. */
export function jaegerConfigYaml(topology: Topology): string {
  const j = topology.jaeger;
  return stringify({
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['batch'],
          exporters: ['jaeger_storage_exporter'],
        },
      },
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `127.0.0.1:${j.healthPort}` } },
      jaeger_query: {
        storage: { traces: 'memstore' },
        http: { endpoint: `127.0.0.1:${j.queryPort}` },
        grpc: { endpoint: `127.0.0.1:${j.queryGrpcPort}` },
      },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: 100_000 } } } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${j.otlpGrpcPort}` },
          http: { endpoint: `127.0.0.1:${j.otlpHttpPort}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
  });
}
