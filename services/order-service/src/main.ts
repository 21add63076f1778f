// Telemetry starts before anything that loads http, Fastify or kafkajs, so they are instrumented.
import { createLogger, startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'order-service', serviceVersion: '0.1.0' });

const { loadOrderServiceConfig } = await import('./config');
const { createOrderService } = await import('./order-service');

let config;
try {
  config = loadOrderServiceConfig();
} catch (error) {
  // A config error is for a human at start-up: print it plainly, then stop.
  console.error(error instanceof Error ? error.message : error);
  await telemetry.shutdown();
  process.exit(1);
}
const logger = createLogger({ name: 'order-service', level: config.LOG_LEVEL });
const service = await createOrderService(config, logger, telemetry);
await service.start();
