import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { IHeaders, Producer } from 'kafkajs';
import { RegistryCodec, newMetadata } from '@fanout/contracts';
import type {
  EventType,
  EventTypes,
  OrderCancelled,
  OrderConfirmed,
  UserContact,
  UserRegistered,
} from '@fanout/contracts';
import { startConsumerService } from '@fanout/consumer-kit';
import type { ConsumerDefinition, ConsumerService, ConsumerServiceEnv } from '@fanout/consumer-kit';
import { readHeaders } from '@fanout/messaging';
import { DEFAULT_SANDBOX_API_KEY, createSandbox } from '@fanout/sandbox-apis/sandbox';
import type { ApiName, FaultsInputArg, Sandbox } from '@fanout/sandbox-apis/sandbox';
import { createLogger } from '@fanout/telemetry';
import { createTopicsReliably } from '@fanout/contracts';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

/**
 * Fixtures for the consumer suites: a real sandbox in process on an ephemeral port, fresh topics
 * per test, consumers in process (or their env for a child), events produced with the real codec,
 * and bounded waits.
 */

export const PARTITIONS = 3;

export function newKafka(clientId = 'consumers-test'): Kafka {
  return new Kafka({
    clientId,
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
}

export function newCodec(): RegistryCodec {
  return new RegistryCodec({ registry: { url: platformEndpoints().schemaRegistryUrl } });
}

export interface ConsumerTopics {
  users: string;
  /** The user table topic (UserContact rows) the email consumer's view reads. */
  contacts: string;
  orders: string;
  ledger: string;
}

export async function createConsumerTopics(kafka: Kafka): Promise<ConsumerTopics> {
  const topics = {
    users: uniqueName('c-users'),
    contacts: uniqueName('c-contacts'),
    orders: uniqueName('c-orders'),
    ledger: uniqueName('c-ledger'),
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsReliably(
      admin,
      Object.values(topics).map((topic) => ({ topic, numPartitions: PARTITIONS })),
    );
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/** The environment a consumer gets in a test: ephemeral port, fresh group, data dir and topics. */
export function consumerEnv(
  api: ApiName,
  sandbox: Sandbox,
  topics: ConsumerTopics,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const prefix = api.toUpperCase();
  const endpoints = platformEndpoints();
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), `${api}-consumer-`)),
    CONSUMER_GROUP_ID: uniqueName(`${api}-consumer`),
    USER_EVENTS_TOPIC: topics.users,
    USER_CONTACTS_TOPIC: topics.contacts,
    ORDER_EVENTS_TOPIC: topics.orders,
    CALL_LEDGER_TOPIC: topics.ledger,
    [`${prefix}_API_URL`]: sandbox.baseUrl(api),
    [`${prefix}_API_KEY`]: DEFAULT_SANDBOX_API_KEY,
    RETRY_IMMEDIATE_ATTEMPTS: '2',
    RETRY_TIERS_MS: '1000,3000',
    CIRCUIT_OPEN_MS: '2000',
    API_RETRY_MAX_ELAPSED_MS: '5000',
    SHUTDOWN_DEADLINE_MS: '5000',
    ...overrides,
  };
}

/** Starts a consumer in process and waits (bounded) until its group consumes. */
export async function startConsumer<C extends ConsumerServiceEnv, A>(
  definition: ConsumerDefinition<C, A>,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ConsumerService<A> & { env: Record<string, string> }> {
  const config = definition.loadConfig(env);
  const logger = createLogger({ name: definition.name, level: config.LOG_LEVEL });
  const service = await startConsumerService(definition, config, { logger });
  await withTimeout(service.consuming, timeoutMs, `${definition.name} consuming`);
  return Object.assign(service, { env });
}

export async function stopConsumer(service: {
  stop(): Promise<void>;
  env: Record<string, string>;
}) {
  await service.stop();
  rmSync(service.env.DATA_DIR!, { recursive: true, force: true });
}

export async function startSandbox(): Promise<Sandbox> {
  return createSandbox({ port: 0 });
}

// Events -------------------------------------------------------------------------------------

/** What most consumer test files start with: a client, a codec, a producer and a sandbox. */
export interface ConsumerHarness {
  kafka: Kafka;
  codec: RegistryCodec;
  producer: Producer;
  sandbox: Sandbox;
}

export async function consumerHarness(): Promise<ConsumerHarness> {
  const kafka = newKafka();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return { kafka, codec: newCodec(), producer, sandbox: await startSandbox() };
}

export function userRegistered(overrides: Partial<UserRegistered> = {}): UserRegistered {
  const userId = overrides.userId ?? uniqueName('user');
  return {
    metadata: newMetadata({ producer: 'consumers-test' }),
    userId,
    email: `${userId}@example.com`,
    name: `Ada ${userId}`,
    marketingConsent: true,
    locale: 'en-GB',
    ...overrides,
  };
}

/** The user's row in the user table topic, as user-service writes it with the registration. */
export function userContact(user: UserRegistered): UserContact {
  return {
    metadata: newMetadata({ producer: 'consumers-test' }),
    userId: user.userId,
    email: user.email,
    name: user.name,
    locale: user.locale,
    marketingConsent: user.marketingConsent,
  };
}

export function orderConfirmed(
  customerId: string,
  overrides: Partial<OrderConfirmed> = {},
): OrderConfirmed {
  return {
    metadata: newMetadata({ producer: 'consumers-test' }),
    orderId: uniqueName('order'),
    customerId,
    currency: 'EUR',
    totalMinor: 4_250,
    paymentAuthorizationId: 'auth_1',
    shipmentId: 'shp_1',
    ...overrides,
  };
}

export function orderCancelled(
  customerId: string,
  overrides: Partial<OrderCancelled> = {},
): OrderCancelled {
  return {
    metadata: newMetadata({ producer: 'consumers-test' }),
    orderId: uniqueName('order'),
    customerId,
    reason: {
      code: 'PAYMENT_DECLINED',
      message: 'The card was declined.',
      failedStep: 'authorize-payment',
    },
    compensatedSteps: ['reserve-inventory'],
    ...overrides,
  };
}

/** Produces events with the real codec; the key is the aggregate id unless given. */
export async function produce<K extends EventType>(
  producer: Producer,
  codec: RegistryCodec,
  topic: string,
  eventType: K,
  values: ReadonlyArray<EventTypes[K]>,
  key?: (value: EventTypes[K]) => string,
): Promise<void> {
  const messages = await Promise.all(
    values.map(async (value) => ({
      key: key ? key(value) : aggregateId(value),
      value: await codec.encode(eventType, value, topic),
      headers: { 'fanout.event_type': eventType },
    })),
  );
  await producer.send({ topic, acks: -1, messages });
}

function aggregateId(value: unknown): string {
  const v = value as { userId?: string; orderId?: string };
  return v.orderId ?? v.userId ?? 'unknown';
}

// Sandbox ------------------------------------------------------------------------------------

export interface EffectsReport {
  totals: {
    effects: number;
    keys: number;
    duplicateKeys: number;
    subjects: number;
    duplicateSubjects: number;
  };
  keys: Array<{
    api: string;
    idempotencyKey: string;
    operations: string[];
    subjects: string[];
    effects: number;
  }>;
}

export async function effects(sandbox: Sandbox, api: ApiName): Promise<EffectsReport> {
  return getJson<EffectsReport>(`${sandbox.url}/_admin/effects?api=${api}&limit=10000`);
}

export interface SandboxRequest {
  at: number;
  api: string;
  method: string;
  path: string;
  status: number;
  idempotencyKey?: string;
  replayed: boolean;
  fault?: string;
  durationMs: number;
}

export async function requests(sandbox: Sandbox, api: ApiName): Promise<SandboxRequest[]> {
  const body = await getJson<{ requests: SandboxRequest[] } | SandboxRequest[]>(
    `${sandbox.url}/_admin/requests?api=${api}&limit=20000`,
  );
  return Array.isArray(body) ? body : body.requests;
}

export async function setFaults(
  sandbox: Sandbox,
  api: ApiName,
  faults: FaultsInputArg | null,
): Promise<void> {
  const response = await fetch(`${sandbox.url}/_admin/apis/${api}/faults`, {
    method: faults === null ? 'DELETE' : 'PUT',
    ...(faults === null
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) }),
  });
  if (!response.ok) throw new Error(`faults ${api}: ${response.status} ${await response.text()}`);
}

/** GET on an API resource, with the sandbox key. */
export async function apiGet<T>(
  sandbox: Sandbox,
  api: ApiName,
  path: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${sandbox.baseUrl(api)}${path}`, {
    headers: { authorization: `Bearer ${DEFAULT_SANDBOX_API_KEY}` },
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

// Topics -------------------------------------------------------------------------------------

export interface ReadRecord {
  key: string | null;
  headers: Record<string, string>;
  value: unknown;
  eventType: string;
}

/**
 * Reads every record of a topic from the start (decoded), until `until(records)` holds or the
 * time is up. Bounded by time: returns what it has.
 */
export async function readTopic(
  kafka: Kafka,
  codec: RegistryCodec,
  topic: string,
  until: (records: ReadRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = message.value ? await codec.decode(message.value) : undefined;
        records.push({
          key: message.key?.toString() ?? null,
          headers: readHeaders(message.headers as IHeaders),
          value: decoded?.value,
          eventType: decoded?.eventType ?? '',
        });
        if (until(records)) done();
      },
    });
    if (!until(records)) await Promise.race([finished, sleep(timeoutMs)]);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** Records currently on a topic (sum of high watermarks; topics here are never compacted). */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

// Waiting ------------------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
