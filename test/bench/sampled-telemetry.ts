import { startTelemetry } from '@fanout/telemetry';

/**
 * Starts this bench process's telemetry as a service's main.ts does, with parent-based ratio
 * sampling (`ratio`, e.g. '0.01'); `exportTo` an OTLP/HTTP endpoint, or nowhere (spans are
 * still created and sampled, only not exported). Undefined ratio: no SDK, the no-op API.
 */
export function startSampledTelemetry(
  serviceName: string,
  ratio: string | undefined,
  exportTo?: string,
): ReturnType<typeof startTelemetry> | undefined {
  if (ratio === undefined) return undefined;
  process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
  process.env.OTEL_TRACES_SAMPLER_ARG = ratio;
  if (exportTo === undefined) process.env.OTEL_TRACES_EXPORTER = 'none';
  else {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= exportTo;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??= 'http/protobuf';
  }
  return startTelemetry({ serviceName });
}
