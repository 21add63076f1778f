/** Where the platform under test listens. The global setup fills these in; defaults are the fixed ports. */
export interface PlatformEndpoints {
  kafkaBrokers: string[];
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  schemaRegistryUrl: string;
  otlpHttpUrl: string;
  otlpGrpcUrl: string;
  jaegerQueryUrl: string;
}

export function platformEndpoints(env: NodeJS.ProcessEnv = process.env): PlatformEndpoints {
  return {
    kafkaBrokers: (env.FANOUT_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()),
    schemaRegistryUrl: env.FANOUT_SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    otlpHttpUrl: env.FANOUT_OTLP_HTTP_URL ?? 'http://127.0.0.1:4318',
    otlpGrpcUrl: env.FANOUT_OTLP_GRPC_URL ?? 'http://127.0.0.1:4317',
    jaegerQueryUrl: env.FANOUT_JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686',
  };
}
