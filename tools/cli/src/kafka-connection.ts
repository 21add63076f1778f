import { logLevel } from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { createKafkaClient } from '@fanout/messaging';
import { CliError } from './cli-error';
import type { CliConfig } from './config';

/** A kafkajs client that gives up fast: a CLI should say "not running" in seconds, not minutes. */
export function cliKafka(config: CliConfig): Kafka {
  return createKafkaClient({
    clientId: 'fanout-cli',
    brokers: config.kafkaBrokers,
    security: config.kafkaSecurity,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 200 },
    connectionTimeout: 3_000,
    requestTimeout: 15_000,
  });
}

export function kafkaUnreachable(config: CliConfig, error: unknown): CliError {
  return new CliError(
    `Kafka is not reachable at ${config.kafkaBrokers.join(',')} (${(error as Error).message}): start the stack with \`npx fanout stack up\` or pass --brokers`,
  );
}

/** Connects an admin client, turning "nothing listens there" into the one-line CLI error. */
export async function connectAdmin(kafka: Kafka, config: CliConfig): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw kafkaUnreachable(config, error);
  }
  return admin;
}
