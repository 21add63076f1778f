import { randomBytes } from 'node:crypto';
import { logLevel, Partitioners } from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { createKafkaClient } from '@fanout/messaging';
import type { KafkaSecurity } from '@fanout/messaging';

export const healthTopic = 'fanout.platform.health';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function kafka(brokers: string[], clientId: string, security?: KafkaSecurity): Kafka {
  return createKafkaClient({
    brokers,
    clientId,
    security,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 200 },
  });
}

/** How many brokers the cluster metadata lists (cheap: used by `status`). */
export async function kafkaBrokerCount(
  brokers: string[],
  security?: KafkaSecurity,
): Promise<number> {
  const admin = kafka(brokers, 'fanout-platform-status', security).admin();
  try {
    await withTimeout(admin.connect(), 5000, 'connect');
    const cluster = await withTimeout(admin.describeCluster(), 5000, 'describeCluster');
    return cluster.brokers.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The real health of Kafka: an idempotent acks=all produce and a consumer-group read of the
 * same record. Proves leaders, the group coordinator and (with 3 brokers) the ISR all work.
 * A secure stack is checked with its client credentials (SASL_SSL).
 */
export async function kafkaRoundTrip(
  brokers: string[],
  replication: number,
  timeoutMs = 30_000,
  security?: KafkaSecurity,
): Promise<void> {
  const client = kafka(brokers, 'fanout-platform-health', security);
  const nonce = randomBytes(8).toString('hex');
  const groupId = `fanout-platform-health-${nonce}`;
  const admin = client.admin();
  const producer = client.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  try {
    await admin.connect();
    const existing = await admin.listTopics();
    if (!existing.includes(healthTopic))
      await admin
        .createTopics({
          topics: [{ topic: healthTopic, numPartitions: 1, replicationFactor: replication }],
          waitForLeaders: true,
        })
        .catch((error: unknown) => {
          if (!String((error as Error).message).includes('already exists')) throw error;
        });
    await producer.connect();
    await producer.send({ topic: healthTopic, acks: -1, messages: [{ key: nonce, value: nonce }] });
    await consumer.connect();
    await consumer.subscribe({ topic: healthTopic, fromBeginning: true });
    await withTimeout(
      new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (message.value?.toString() === nonce) resolve();
          },
        });
      }),
      timeoutMs,
      'reading the health record back',
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function getJson(url: string, timeoutMs = 3000): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response.json();
}

/** The registry answers its Confluent-compatible API. */
export async function registryReady(schemaRegistryUrl: string): Promise<void> {
  const subjects = await getJson(`${schemaRegistryUrl}/subjects`);
  if (!Array.isArray(subjects))
    throw new Error(`${schemaRegistryUrl}/subjects did not return a list`);
}

export const globalCompatibility = 'BACKWARD_TRANSITIVE';

/** Apicurio's default is NONE; subjects must be checked against every earlier version. */
export async function setGlobalCompatibility(schemaRegistryUrl: string): Promise<void> {
  const response = await fetch(`${schemaRegistryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: globalCompatibility }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok)
    throw new Error(
      `PUT ${schemaRegistryUrl}/config answered ${response.status}: ${await response.text()}`,
    );
  const config = (await getJson(`${schemaRegistryUrl}/config`)) as {
    compatibilityLevel?: string;
    compatibility?: string;
  };
  const level = config.compatibilityLevel ?? config.compatibility;
  if (level !== globalCompatibility)
    throw new Error(`global compatibility is ${level}, expected ${globalCompatibility}`);
}

/** Jaeger's query API answers (its storage and query extension are up). */
export async function jaegerReady(jaegerQueryUrl: string): Promise<void> {
  const body = (await getJson(`${jaegerQueryUrl}/api/services`)) as { data?: unknown };
  if (!body || !('data' in body))
    throw new Error(`${jaegerQueryUrl}/api/services returned no data field`);
}

/** A service's readiness endpoint answers 2xx. */
export async function httpReady(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
}

/**
 * Retries `check` until it passes or `timeoutMs` passes. `whyGone` (e.g. `notOurs` of the
 * process) lets a dead process fail the wait at once, saying why, instead of after the timeout.
 */
export async function waitUntil(
  check: () => Promise<void>,
  {
    timeoutMs,
    intervalMs = 500,
    whyGone,
  }: { timeoutMs: number; intervalMs?: number; whyGone?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const gone = whyGone?.();
    if (gone !== undefined)
      throw new Error(
        `the process is gone: ${gone}${last ? ` (last check: ${(last as Error).message})` : ''}`,
      );
    try {
      await check();
      return;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `not healthy after ${Math.round(timeoutMs / 1000)} s: ${(last as Error)?.message ?? 'no answer'}`,
      );
    await sleep(intervalMs);
  }
}
