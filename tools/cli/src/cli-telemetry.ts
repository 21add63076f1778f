import { startTelemetry } from '@fanout/telemetry';
import type { Telemetry } from '@fanout/telemetry';

/**
 * Commands that write to Kafka (publish, dlq replay) trace what they send as service
 * `fanout-cli`, so a published or replayed event starts or continues a trace in Jaeger like any
 * service's. The SDK starts only for those commands and is flushed before the process exits.
 */
export async function withCliTelemetry<T>(work: () => Promise<T>): Promise<T> {
  let telemetry: Telemetry | undefined;
  try {
    telemetry = startTelemetry({ serviceName: 'fanout-cli' });
  } catch {
    telemetry = undefined; // already running in this process (tests): reuse it
  }
  try {
    return await work();
  } finally {
    await telemetry?.shutdown();
  }
}
