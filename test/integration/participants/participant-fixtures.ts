import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { startConsumerService } from '@fanout/consumer-kit';
import type { ConsumerDefinition, ConsumerService, ConsumerServiceEnv } from '@fanout/consumer-kit';
import { DEFAULT_SANDBOX_API_KEY } from '@fanout/sandbox-apis/sandbox';
import type { ApiName, Sandbox } from '@fanout/sandbox-apis/sandbox';
import { createLogger } from '@fanout/telemetry';
import { createTopicsReliably } from '@fanout/contracts';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { waitFor } from '../saga/saga-fixtures';
import type { EventLog, ReceivedEvent } from '../saga/saga-fixtures';

/**
 * Fixtures for the participant suites: the real consumer services in this process (through the
 * consumer kit, as main.ts runs them), the sandbox in process, and isolated topics per file.
 */

let tracing: NodeTracerProvider | undefined;

/**
 * W3C propagation in this process (no exporter), so a test can check that a reply continues
 * its command's trace. Without a registered provider the OpenTelemetry API is a no-op and no
 * traceparent would be written at all.
 */
export function installTracePropagation(): void {
  if (tracing) return;
  tracing = new NodeTracerProvider();
  tracing.register();
}

export async function createTopics(kafka: Kafka, topics: string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsReliably(
      admin,
      topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    );
  } finally {
    await admin.disconnect();
  }
}

/** `<PREFIX>_API_URL` and `<PREFIX>_API_KEY` pointing at the in-process sandbox. */
export function sandboxApiEnv(
  sandbox: Sandbox,
  api: ApiName,
  prefix: string,
): Record<string, string> {
  return {
    [`${prefix}_API_URL`]: sandbox.baseUrl(api),
    [`${prefix}_API_KEY`]: DEFAULT_SANDBOX_API_KEY,
  };
}

export interface RunningParticipant<A> {
  service: ConsumerService<A>;
  groupId: string;
  stop(): Promise<void>;
}

/**
 * Starts one participant service in this process on an ephemeral port, with its own group,
 * data dir and ledger topic, short retry tiers, and waits until it consumes.
 */
export async function startParticipant<C extends ConsumerServiceEnv, A>(
  definition: ConsumerDefinition<C, A>,
  env: Record<string, string>,
): Promise<RunningParticipant<A>> {
  const endpoints = platformEndpoints();
  const dataDir = await mkdtemp(join(tmpdir(), `${definition.name}-`));
  const groupId = uniqueName(definition.name);
  const config = definition.loadConfig({
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    CONSUMER_GROUP_ID: groupId,
    CALL_LEDGER_TOPIC: uniqueName(`${definition.name}-ledger`),
    RETRY_IMMEDIATE_ATTEMPTS: '2',
    RETRY_TIERS_MS: '1000,2000',
    API_RETRY_ATTEMPTS: '2',
    API_RETRY_MAX_ELAPSED_MS: '2000',
    SHUTDOWN_DEADLINE_MS: '5000',
    ...env,
  });
  const service = await startConsumerService(definition, config, {
    logger: createLogger({ name: definition.name, level: 'silent' }),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      service.consuming,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${definition.name} did not consume within 60 s`)),
          60_000,
        );
      }),
    ]);
  } catch (error) {
    await service.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    service,
    groupId,
    async stop() {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A command or reply value with fresh metadata, as the coordinator would write it. */
export function withMetadata(
  payload: Record<string, unknown>,
  options: { eventId?: string; correlationId?: string } = {},
): Record<string, unknown> {
  return {
    metadata: {
      eventId: options.eventId ?? randomUUID(),
      occurredAt: Date.now(),
      correlationId: options.correlationId ?? randomUUID(),
      causationId: null,
      producer: 'saga-coordinator',
    },
    ...payload,
  };
}

/** A sampled W3C traceparent with a fresh trace id. */
export function newTraceparent(): { traceparent: string; traceId: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, traceId };
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}

/** Waits until `count` events of the order arrived on the log, then returns them. */
export async function repliesOf(
  log: EventLog,
  orderId: string,
  count: number,
  timeoutMs = 45_000,
): Promise<ReceivedEvent[]> {
  await waitFor(
    `${count} replies for ${orderId}`,
    () => log.of(orderId).length >= count,
    timeoutMs,
  );
  return log.of(orderId);
}

export interface EffectsReport {
  totals: { effects: number; keys: number; duplicateKeys: number };
  keys: Array<{ api: string; idempotencyKey: string; operations: string[]; effects: number }>;
}

/** The sandbox's effects record for one subject (order id) of one API. */
export async function effectsOf(
  sandbox: Sandbox,
  api: ApiName,
  subject: string,
): Promise<EffectsReport> {
  const response = await fetch(
    `${sandbox.url}/_admin/effects?api=${api}&subject=${encodeURIComponent(subject)}`,
    { signal: AbortSignal.timeout(5_000) },
  );
  if (!response.ok) throw new Error(`effects: ${response.status}`);
  return (await response.json()) as EffectsReport;
}

/** Effects of one operation (e.g. `reserve`, `release_reservation`) on the subject. */
export function effectCount(report: EffectsReport, operation: string): number {
  return report.keys
    .filter((key) => key.operations.includes(operation))
    .reduce((sum, key) => sum + key.effects, 0);
}

export async function sandboxAdmin(
  sandbox: Sandbox,
  method: 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<void> {
  const response = await fetch(`${sandbox.url}/_admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status}`);
}
