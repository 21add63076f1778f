// Telemetry starts before anything that loads http, undici or kafkajs, so they are instrumented.
import { startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'email-consumer', serviceVersion: '0.1.0' });
const { runConsumerService } = await import('@fanout/consumer-kit');
const { emailConsumer } = await import('./email-consumer');
await runConsumerService(emailConsumer, { telemetry });
