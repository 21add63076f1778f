// The sandbox-apis service: seven stand-in downstream APIs on one port (default 4000).
// Telemetry starts first, before Fastify and http are loaded, so their instrumentation applies.
import { startTelemetry, createLogger } from '@fanout/telemetry';
import { loadSandboxConfig } from './config';

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

// What an operator would want from per-request lines, once a minute instead: requests by API
// and status since the last summary (none when idle). Faults, refusals and failures still log.
const SUMMARY_INTERVAL_MS = 60_000;
let lastCounts: Record<string, Record<string, number>> = {};
const summary = setInterval(() => {
  const stats = sandbox.state.requests.stats();
  const delta: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const [api, { byStatus }] of Object.entries(stats)) {
    for (const [status, count] of Object.entries(byStatus)) {
      const added = count - (lastCounts[api]?.[status] ?? 0);
      if (added > 0) {
        (delta[api] ??= {})[status] = added;
        total += added;
      }
    }
  }
  lastCounts = Object.fromEntries(
    Object.entries(stats).map(([api, { byStatus }]) => [api, byStatus]),
  );
  if (total > 0)
    logger.info(
      { requests: total, byApi: delta, intervalMs: SUMMARY_INTERVAL_MS },
      'requests served',
    );
}, SUMMARY_INTERVAL_MS);
summary.unref();

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
