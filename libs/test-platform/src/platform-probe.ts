import { Kafka, logLevel } from 'kafkajs';
import type { PlatformEndpoints } from './endpoints';

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A quick yes/no: do Kafka, the registry and Jaeger all answer at these endpoints? Used to
 * reuse a platform someone already runs (`npm start`) instead of starting a second one.
 */
export async function platformAnswers(
  endpoints: PlatformEndpoints,
  timeoutMs = 5000,
): Promise<boolean> {
  const admin = new Kafka({
    brokers: endpoints.kafkaBrokers,
    clientId: 'fanout-test-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 0 },
  }).admin();
  const http = async (url: string): Promise<void> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
  };
  try {
    await Promise.all([
      within(
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
        timeoutMs,
      ),
      http(`${endpoints.schemaRegistryUrl}/subjects`),
      http(`${endpoints.jaegerQueryUrl}/api/services`),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** FANOUT_* variables, as platformEndpoints() reads them back. */
export function endpointsToEnv(endpoints: PlatformEndpoints): Record<string, string> {
  return {
    FANOUT_KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    FANOUT_SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    FANOUT_OTLP_HTTP_URL: endpoints.otlpHttpUrl,
    FANOUT_OTLP_GRPC_URL: endpoints.otlpGrpcUrl,
    FANOUT_JAEGER_QUERY_URL: endpoints.jaegerQueryUrl,
  };
}
