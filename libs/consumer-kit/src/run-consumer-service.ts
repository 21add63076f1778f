import { ConfigError } from '@fanout/service-kit';
import { createLogger } from '@fanout/telemetry';
import type { ConsumerDefinition } from './consumer-definition';
import type { ConsumerServiceEnv } from './consumer-env';
import { startConsumerService } from './consumer-service';

export interface RunConsumerOptions {
  /** From `startTelemetry` in main.ts; flushed last on shutdown. */
  telemetry?: { shutdown(): Promise<void> };
  /** Defaults to process.env: read once, here, through the service's config. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The whole of a consumer's main.ts after telemetry: load and validate config (a bad variable
 * prints one line naming it and exits 1), start the service, stop gracefully on SIGTERM/SIGINT
 * (exit 0), exit 1 when the start fails.
 */
export async function runConsumerService<C extends ConsumerServiceEnv, A>(
  definition: ConsumerDefinition<C, A>,
  options: RunConsumerOptions = {},
): Promise<void> {
  let config;
  try {
    config = definition.loadConfig(options.env ?? process.env);
  } catch (error) {
    // For a human at start-up: the message names each variable and why, never a value.
    console.error(
      `${definition.name} refuses to start: ${error instanceof ConfigError ? error.message : String(error)}`,
    );
    await options.telemetry?.shutdown();
    process.exit(1);
  }
  const logger = createLogger({ name: definition.name, level: config.LOG_LEVEL });
  let service;
  try {
    service = await startConsumerService(definition, config, {
      logger,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
  } catch (error) {
    logger.fatal({ err: error }, `${definition.name} failed to start`);
    await options.telemetry?.shutdown();
    process.exit(1);
  }
  const running = service;
  let signalled = false;
  running.consuming.catch(async (error: unknown) => {
    // A stop while waiting for the registry aborts the wait: that is the shutdown, not a failure.
    if (signalled) return;
    logger.fatal({ err: error }, `${definition.name} could not start consuming`);
    await running.stop().catch(() => undefined);
    process.exit(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(1);
      signalled = true;
      logger.info({ signal }, 'shutting down');
      running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
