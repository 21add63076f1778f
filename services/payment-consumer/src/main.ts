// Telemetry starts before anything that loads http, Fastify, undici or kafkajs.
import { startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'payment-consumer', serviceVersion: '0.1.0' });

const { runConsumerService } = await import('@fanout/consumer-kit');
const { paymentConsumer } = await import('./payment-consumer');
await runConsumerService(paymentConsumer, { telemetry });
