// Telemetry starts before anything that loads http, undici or kafkajs, so they are instrumented.
import { startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'analytics-consumer', serviceVersion: '0.1.0' });
const { runConsumerService } = await import('@fanout/consumer-kit');
const { analyticsConsumer } = await import('./analytics-consumer');
await runConsumerService(analyticsConsumer, { telemetry });
