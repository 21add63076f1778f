// Telemetry starts before anything that loads http, undici or kafkajs, so they are instrumented.
import { startTelemetry } from '@fanout/telemetry';

const telemetry = startTelemetry({ serviceName: 'search-consumer', serviceVersion: '0.1.0' });
const { runConsumerService } = await import('@fanout/consumer-kit');
const { searchConsumer } = await import('./search-consumer');
await runConsumerService(searchConsumer, { telemetry });
