// Telemetry starts before anything that loads http, Fastify or kafkajs, so they are instrumented.
import { createLogger, startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'saga-coordinator', serviceVersion: '0.1.0' });

const { loadSagaCoordinatorConfig } = await import('./config');
const { runSagaCoordinator } = await import('./service');

let config;
try {
  config = loadSagaCoordinatorConfig();
} catch (error) {
  // A config error is for a human at start-up: print it plainly, then stop.
  console.error(error instanceof Error ? error.message : error);
  await telemetry.shutdown();
  process.exit(1);
}
const logger = createLogger({ name: 'saga-coordinator', level: config.LOG_LEVEL });
try {
  await runSagaCoordinator(config, logger, telemetry);
} catch (error) {
  logger.fatal({ err: error }, 'saga coordinator failed to start');
  await telemetry.shutdown();
  process.exit(1);
}
