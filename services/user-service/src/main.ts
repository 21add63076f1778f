// Telemetry starts before anything that loads http, Fastify or kafkajs, so they are instrumented.
import { createLogger, startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'user-service', serviceVersion: '0.1.0' });

const { loadUserServiceConfig } = await import('./config');
const { createUserService } = await import('./user-service');

let config;
try {
  config = loadUserServiceConfig();
} catch (error) {
  // A config error is for a human at start-up: print it plainly, then stop.
  console.error(error instanceof Error ? error.message : error);
  await telemetry.shutdown();
  process.exit(1);
}
const logger = createLogger({ name: 'user-service', level: config.LOG_LEVEL });
const service = await createUserService(config, logger, telemetry);
await service.start();
