// Telemetry starts before anything that loads http, Fastify, undici or kafkajs.
import { startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'inventory-consumer', serviceVersion: '0.1.0' });

const { runConsumerService } = await import('@fanout/consumer-kit');
const { inventoryConsumer } = await import('./inventory-consumer');
await runConsumerService(inventoryConsumer, { telemetry });
