import type { KafkaSecurity } from '@fanout/messaging';
import { ConfigError, loadKafkaSecurity } from '@fanout/service-kit';
import { CliError } from './cli-error';

export interface CliConfig {
  kafkaBrokers: string[];
  /** KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_* as for the services; default PLAINTEXT. */
  kafkaSecurity?: KafkaSecurity;
  schemaRegistryUrl: string;
  jaegerUrl: string;
  json: boolean;
}

export interface GlobalOptions {
  brokers?: string;
  registry?: string;
  jaeger?: string;
  json?: boolean;
}

/** Flags win over the environment, which wins over the fixed local ports. Read once, here. */
export function loadCliConfig(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): CliConfig {
  const brokers = (options.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers)
    if (!/^[^:\s]+:\d+$/.test(b))
      throw new CliError(`--brokers / KAFKA_BROKERS: "${b}" is not host:port`, 2);
  const url = (name: string, value: string) => {
    try {
      return new URL(value).toString().replace(/\/$/, '');
    } catch {
      throw new CliError(`${name}: "${value}" is not a URL`, 2);
    }
  };
  let kafkaSecurity: KafkaSecurity;
  try {
    kafkaSecurity = loadKafkaSecurity(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 2);
    throw error;
  }
  return {
    kafkaBrokers: brokers,
    kafkaSecurity,
    schemaRegistryUrl: url(
      '--registry / SCHEMA_REGISTRY_URL',
      options.registry ?? env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    ),
    jaegerUrl: url(
      '--jaeger / JAEGER_QUERY_URL',
      options.jaeger ?? env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686',
    ),
    json: options.json === true,
  };
}
