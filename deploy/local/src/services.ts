import { join } from 'node:path';
import type { StackEndpoints } from './topology';

/** What a service's env is computed from. */
export interface ServiceEnvContext {
  endpoints: StackEndpoints;
  /** `.fanout/stack/<profile>`: SQLite files go under `data/<service>`. */
  stateDir: string;
  portOffset: number;
  /** A secure stack's `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_*`, `KAFKA_SSL_*` for every service. */
  kafkaSecurityEnv?: Record<string, string>;
}

/** `ops`: tools for the operators (the console), started last, never on a request's path. */
export type ServiceRole = 'domain' | 'consumer' | 'saga' | 'sandbox' | 'ops';

export interface ServiceSpec {
  name: string;
  role: ServiceRole;
  /** The fixed port of CONTRIBUTING.md; the stack adds its port offset. */
  port: number;
  /** Environment beyond the shared names; later issues add their lines here. */
  env(ctx: ServiceEnvContext): Record<string, string>;
}

export const sandboxPort = 4000;

const SANDBOX_APIS = ['email', 'crm', 'analytics', 'search', 'inventory', 'payment', 'shipping'];

/** The development bearer key of one sandbox API: the consumer sends it, the sandbox accepts it. */
function localDevKey(api: string): string {
  return `local-dev-${api}-key`;
}

/** `<API>_API_URL` and `<API>_API_KEY` for a consumer of one sandbox API. */
function downstreamApi(api: string) {
  return (ctx: ServiceEnvContext): Record<string, string> => ({
    [`${api.toUpperCase()}_API_URL`]: `http://127.0.0.1:${sandboxPort + ctx.portOffset}/${api}`,
    [`${api.toUpperCase()}_API_KEY`]: localDevKey(api),
  });
}

/** The consumers whose breaker state the console shows, with their fixed ports. */
const CONSOLE_CONSUMERS: ReadonlyArray<readonly [string, number]> = [
  ['email', 3101],
  ['crm', 3102],
  ['analytics', 3103],
  ['search', 3104],
  ['inventory', 3105],
  ['payment', 3106],
  ['shipping', 3107],
];

/** Every planned service, in start order: APIs they call first, then producers, then consumers. */
export const serviceCatalog: readonly ServiceSpec[] = [
  {
    name: 'sandbox-apis',
    role: 'sandbox',
    port: 4000,
    // Each API accepts exactly the key its consumer is given (consumerEnv above).
    env: () => ({
      SANDBOX_API_KEYS: SANDBOX_APIS.map((api) => `${api}=${localDevKey(api)}`).join(','),
    }),
  },
  { name: 'user-service', role: 'domain', port: 3001, env: () => ({ API_KEYS: 'local-dev-key' }) },
  {
    name: 'order-service',
    role: 'domain',
    port: 3002,
    // A customer its view does not know yet is asked of user-service (the same local key).
    env: (ctx) => ({
      API_KEYS: 'local-dev-key',
      USER_SERVICE_URL: `http://127.0.0.1:${3001 + ctx.portOffset}`,
      USER_SERVICE_API_KEY: 'local-dev-key',
    }),
  },
  { name: 'email-consumer', role: 'consumer', port: 3101, env: downstreamApi('email') },
  { name: 'crm-consumer', role: 'consumer', port: 3102, env: downstreamApi('crm') },
  { name: 'analytics-consumer', role: 'consumer', port: 3103, env: downstreamApi('analytics') },
  { name: 'search-consumer', role: 'consumer', port: 3104, env: downstreamApi('search') },
  { name: 'inventory-consumer', role: 'consumer', port: 3105, env: downstreamApi('inventory') },
  { name: 'payment-consumer', role: 'consumer', port: 3106, env: downstreamApi('payment') },
  { name: 'shipping-consumer', role: 'consumer', port: 3107, env: downstreamApi('shipping') },
  { name: 'saga-coordinator', role: 'saga', port: 3110, env: () => ({}) },
  {
    name: 'console',
    role: 'ops',
    port: 3200,
    // The domain services' local key; the consumers' /metrics for the breaker states.
    env: (ctx) => ({
      API_KEYS: 'local-dev-key',
      JAEGER_QUERY_URL: ctx.endpoints?.jaegerQueryUrl ?? 'http://127.0.0.1:16686',
      CONSUMER_URLS: CONSOLE_CONSUMERS.map(
        ([api, port]) => `${api}=http://127.0.0.1:${port + ctx.portOffset}`,
      ).join(','),
    }),
  },
];

/** The shared environment names of CONTRIBUTING.md, set for every service. */
export function sharedServiceEnv(
  spec: ServiceSpec,
  ctx: ServiceEnvContext,
): Record<string, string> {
  return {
    PORT: String(spec.port + ctx.portOffset),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: ctx.endpoints.kafkaBrokers.join(','),
    ...ctx.kafkaSecurityEnv,
    SCHEMA_REGISTRY_URL: ctx.endpoints.schemaRegistryUrl,
    OTEL_EXPORTER_OTLP_ENDPOINT: ctx.endpoints.otlpHttpUrl,
    OTEL_SERVICE_NAME: spec.name,
    DATA_DIR: join(ctx.stateDir, 'data', spec.name),
  };
}

export function serviceEnv(spec: ServiceSpec, ctx: ServiceEnvContext): Record<string, string> {
  return { ...sharedServiceEnv(spec, ctx), ...spec.env(ctx) };
}

/** Kafka security variables a service must not inherit from the shell that ran `up`. */
export function withoutKafkaSecurityEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([k]) => !/^KAFKA_(SECURITY_PROTOCOL|SASL_|SSL_)/.test(k)),
  );
}

export function serviceEntry(root: string, name: string): string {
  return join(root, 'services', name, 'src', 'main.ts');
}
