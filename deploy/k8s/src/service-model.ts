import { join } from 'node:path';
import { serviceCatalog } from '@fanout/local-platform';
import type { ServiceRole, ServiceSpec } from '@fanout/local-platform';
import { compileRetryPolicy } from '@fanout/messaging';
import { kafkaSecurityEnv } from '@fanout/service-kit';
import { repoRoot } from './paths';

/** What the manifests need to know about one service, read from its own code. */
export interface ServiceModel {
  name: string;
  role: ServiceRole;
  port: number;
  /** Every variable its config.ts reads (plus the OTEL_* its telemetry reads), sorted. */
  variables: string[];
  /** The variables without a default: the Deployment must set them. */
  required: string[];
  /** Compiled defaults of the variables that have one, as environment strings. */
  defaults: Record<string, string>;
  /** Short API name of a consumer (`email` for EMAIL_API_URL), else undefined. */
  api?: string;
  /** Consumer group and the topics it consumes, for consumers and the saga coordinator. */
  group?: { id: string; topics: string[]; retryTopics: string[]; deadLetterTopic?: string };
  /** Worst-case graceful stop in ms after SIGTERM, from the service's own deadlines. */
  drainMs: number;
  /** Reads DATA_DIR and keeps SQLite files there that must survive a restart (domain services). */
  durableData: boolean;
}

type ConfigLoader = (env: NodeJS.ProcessEnv) => Record<string, unknown>;

/** Variables the telemetry bootstrap reads in every service (`@fanout/telemetry`). */
const TELEMETRY_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME'];
const SECURITY_VARIABLES = Object.keys(kafkaSecurityEnv());
/** The consumer kit flushes the call ledger for up to 5 s after the runtime stopped. */
const CONSUMER_LEDGER_FLUSH_MS = 5_000;
/** services/sandbox-apis/src/main.ts exits after 10 s of graceful stop. */
const SANDBOX_STOP_MS = 10_000;

async function importFile(path: string): Promise<Record<string, unknown>> {
  return (await import(path)) as Record<string, unknown>;
}

async function configLoader(name: string): Promise<ConfigLoader> {
  const mod = await importFile(join(repoRoot, 'services', name, 'src', 'config.ts'));
  const entry = Object.entries(mod).find(
    ([key, value]) => /^load\w*Config$/.test(key) && typeof value === 'function',
  );
  if (!entry) throw new Error(`services/${name}/src/config.ts exports no load…Config function`);
  return entry[1] as ConfigLoader;
}

/** Calls the loader with an empty environment: the variables it names are the required ones. */
function requiredVariables(load: ConfigLoader, api?: string): string[] {
  const env: Record<string, string> = {};
  const required: string[] = [];
  for (let round = 0; round < 5; round += 1) {
    try {
      load(env);
      return required;
    } catch (error) {
      const issues = (error as { issues?: { variable: string }[] }).issues;
      if (!issues) throw error;
      for (const { variable } of issues) {
        required.push(variable);
        env[variable] = placeholder(variable);
      }
      // A consumer's credential: either the key or the key file; the manifests use the file.
      if (api) env[`${api.toUpperCase()}_API_KEY`] ??= 'introspection-key';
    }
  }
  throw new Error(`config kept failing after setting ${required.join(', ')}`);
}

function placeholder(variable: string): string {
  if (variable.endsWith('_URL')) return 'http://introspection.invalid/api';
  if (variable === 'API_KEYS') return 'introspection-key-0001';
  return 'introspection';
}

function asEnvString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'object') return undefined;
  return String(value);
}

interface ConsumerDefinitionLike {
  name: string;
  api: string;
  topics(config: Record<string, unknown>): string[];
  handlers: unknown;
}

async function consumerDefinition(name: string): Promise<ConsumerDefinitionLike> {
  const mod = await importFile(join(repoRoot, 'services', name, 'src', 'index.ts'));
  const definition = Object.values(mod).find(
    (value): value is ConsumerDefinitionLike =>
      typeof value === 'object' &&
      value !== null &&
      'handlers' in value &&
      'topics' in value &&
      (value as { name?: unknown }).name === name,
  );
  if (!definition) throw new Error(`services/${name}/src/index.ts exports no consumer definition`);
  return definition;
}

/** The variables the local platform sets for this service beyond the shared ones. */
function catalogVariables(spec: ServiceSpec): string[] {
  return Object.keys(spec.env({ endpoints: {} as never, stateDir: '/state', portOffset: 0 }));
}

function apiOf(spec: ServiceSpec): string | undefined {
  const url = catalogVariables(spec).find((key) => key.endsWith('_API_URL'));
  return url ? url.slice(0, -'_API_URL'.length).toLowerCase() : undefined;
}

/** Reads one service's config.ts (and consumer definition) by running it, never by parsing it. */
export async function describeService(spec: ServiceSpec): Promise<ServiceModel> {
  const api = spec.role === 'consumer' ? apiOf(spec) : undefined;
  const load = await configLoader(spec.name);
  const required = requiredVariables(load, api);
  const env: Record<string, string> = {};
  for (const variable of required) env[variable] = placeholder(variable);
  if (api) env[`${api.toUpperCase()}_API_KEY`] = 'introspection-key';
  const config = load(env);

  const variables = new Set<string>(TELEMETRY_VARIABLES);
  const defaults: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) continue;
    variables.add(key);
    const text = asEnvString(value);
    if (!required.includes(key) && text !== undefined) defaults[key] = text;
  }
  // Optional variables without a default (SANDBOX_API_KEYS) are absent from the output; the
  // service catalog names the ones a deployment sets.
  for (const key of catalogVariables(spec)) variables.add(key);
  if ('kafkaSecurity' in config) for (const v of SECURITY_VARIABLES) variables.add(v);
  if ('downstream' in config && api) {
    const prefix = api.toUpperCase();
    for (const suffix of ['_API_URL', '_API_KEY', '_API_KEY_FILE']) variables.add(prefix + suffix);
  }

  const shutdownMs = Number(defaults.SHUTDOWN_DEADLINE_MS ?? SANDBOX_STOP_MS);
  let group: ServiceModel['group'];
  let drainMs = shutdownMs;
  if (spec.role === 'consumer') {
    const definition = await consumerDefinition(spec.name);
    const id = String(config.CONSUMER_GROUP_ID);
    const policy = compileRetryPolicy(id, { tiers: config.RETRY_TIERS_MS as number[] });
    group = {
      id,
      topics: definition.topics(config),
      retryTopics: policy.tiers.map((tier) => tier.topic),
      deadLetterTopic: policy.deadLetterTopic,
    };
    drainMs = shutdownMs + CONSUMER_LEDGER_FLUSH_MS;
  } else if (spec.role === 'saga') {
    // Co-partitioned: the coordinator's own dead-letter topic is in the catalog.
    group = {
      id: String(config.SAGA_GROUP_ID),
      topics: [String(config.ORDER_EVENTS_TOPIC), String(config.SAGA_REPLIES_TOPIC)],
      retryTopics: [],
    };
  } else if (spec.role === 'domain' && typeof config.ORDER_CONSUMER_GROUP === 'string') {
    // order-service reads the saga's outcomes with the consumer runtime's default retry tiers.
    const policy = compileRetryPolicy(config.ORDER_CONSUMER_GROUP);
    group = {
      id: config.ORDER_CONSUMER_GROUP,
      topics: [String(config.ORDER_EVENTS_TOPIC)],
      retryTopics: policy.tiers.map((tier) => tier.topic),
      deadLetterTopic: policy.deadLetterTopic,
    };
  }

  return {
    name: spec.name,
    role: spec.role,
    port: spec.port,
    variables: [...variables].sort(),
    required: required.sort(),
    defaults,
    ...(api ? { api } : {}),
    ...(group ? { group } : {}),
    drainMs,
    durableData: spec.role === 'domain',
  };
}

export async function describeServices(): Promise<ServiceModel[]> {
  const models: ServiceModel[] = [];
  for (const spec of serviceCatalog) models.push(await describeService(spec));
  return models;
}
