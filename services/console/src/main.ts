// Telemetry starts before anything that loads http, Fastify or kafkajs, so they are instrumented.
import { createLogger, startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'console', serviceVersion: '0.1.0' });

const { loadConsoleConfig } = await import('./config');
const { createConsoleService } = await import('./console-service');

let config;
try {
  config = loadConsoleConfig();
} catch (error) {
  // A config error is for a human at start-up: print it plainly, then stop.
  console.error(error instanceof Error ? error.message : error);
  await telemetry.shutdown();
  process.exit(1);
}
const logger = createLogger({ name: 'console', level: config.LOG_LEVEL });
const service = await createConsoleService(config, logger);
await service.start();
