import { z } from 'zod';
import { env, loadConfig, withKafkaSecurity } from '@fanout/service-kit';

/** `email=http://127.0.0.1:3101,crm=…`: where each fan-out API's consumer serves /metrics. */
const consumerUrls = z
  .string()
  .default(
    'email=http://127.0.0.1:3101,crm=http://127.0.0.1:3102,analytics=http://127.0.0.1:3103,search=http://127.0.0.1:3104,inventory=http://127.0.0.1:3105,payment=http://127.0.0.1:3106,shipping=http://127.0.0.1:3107',
  )
  .transform((value, ctx) => {
    const out: Record<string, string> = {};
    for (const entry of value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const [api, url] = entry.split(/=(.*)/s);
      if (!api || !url || !/^https?:\/\//.test(url)) {
        ctx.addIssue({ code: 'custom', message: `expected api=http://host:port, got "${entry}"` });
        return z.NEVER;
      }
      out[api] = url.replace(/\/$/, '');
    }
    return out;
  });

const topicList = (defaults: string) =>
  z
    .string()
    .default(defaults)
    .transform((value) =>
      value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected Kafka topic names')).min(1),
    );

const schema = withKafkaSecurity({
  PORT: env.port(3200),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  KAFKA_BROKERS: env.kafkaBrokers(),
  SCHEMA_REGISTRY_URL: env.schemaRegistryUrl(),
  DATA_DIR: env.dataDir('.fanout/data/console'),
  /** The same keys as the domain services: pages and replay need one (header or cookie). */
  API_KEYS: env.apiKeys(),
  RATE_LIMIT_MAX: env.positiveInt(1_000),
  JAEGER_QUERY_URL: z.string().url().default('http://127.0.0.1:16686'),
  /** The APIs the events page has a column for, in order. */
  CONSOLE_APIS: topicList('email,crm,analytics,search'),
  CONSUMER_URLS: consumerUrls,
  DOMAIN_EVENT_TOPICS: topicList('fanout.user.events,fanout.order.events'),
  CALL_LEDGER_TOPIC: env.topic('fanout.audit.api-calls'),
  SAGA_STATE_TOPIC: env.topic('fanout.saga.state'),
  SAGA_MESSAGE_TOPICS: topicList(
    'fanout.inventory.commands,fanout.payment.commands,fanout.shipping.commands,fanout.saga.replies',
  ),
  /** The view reader's consumer group: it never commits (the view keeps its offsets). */
  CONSOLE_GROUP_ID: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/)
    .default('console-view'),
  /** How often the reader looks for new retry and dead-letter topics. */
  TOPIC_REFRESH_MS: env.positiveInt(15_000),
  SHUTDOWN_DEADLINE_MS: env.positiveInt(10_000),
});

export type ConsoleConfig = z.output<typeof schema>;

/** The one place the console reads the environment. */
export function loadConsoleConfig(source: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  return loadConfig(schema, source);
}
