// The sandbox-apis service: seven stand-in downstream APIs on one port (default 4000).
// Telemetry starts first, before Fastify and http are loaded, so their instrumentation applies.
import { startTelemetry, createLogger } from '@fanout/telemetry';
import { loadSandboxConfig } from './config';
import { startRequestSummary } from './request-summary';

const config = loadSandboxConfig();
const telemetry = startTelemetry({ serviceName: 'sandbox-apis' });
const logger = createLogger({ name: 'sandbox-apis', level: config.LOG_LEVEL });

const { createSandbox } = await import('./sandbox');
const sandbox = await createSandbox({
  port: config.PORT,
  host: config.HOST,
  ...(config.SANDBOX_API_KEYS ? { apiKeys: config.SANDBOX_API_KEYS } : {}),
  maxIdempotencyKeys: config.SANDBOX_MAX_IDEMPOTENCY_KEYS,
  logger,
});
logger.info({ url: sandbox.url }, 'sandbox APIs listening');

const summary = startRequestSummary(sandbox.state.requests, logger);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  clearInterval(summary);
  const deadline = setTimeout(() => {
    logger.error('graceful stop took over 10 s, exiting');
    process.exit(1);
  }, 10_000);
  deadline.unref();
  try {
    await sandbox.close();
    await telemetry.shutdown();
  } finally {
    process.exit(0);
  }
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
