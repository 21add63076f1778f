import { CliError } from '../cli-error';
import type { CliConfig } from '../config';
import { JaegerClient } from '@fanout/inspection';
import { progressBar } from '../progress';
import type { JaegerTrace } from '@fanout/inspection';
import { renderWaterfall, waterfallRows } from '@fanout/inspection';

const TRACE_ID = /^[0-9a-f]{16,32}$/i;
/**
 * Span attributes by which an order id or user id finds its traces: @fanout/messaging sets the
 * Kafka key (the aggregate id) on every send and process span; the saga coordinator sets the
 * saga id (the order id) on its spans.
 */
export const AGGREGATE_TAGS = ['messaging.kafka.message.key', 'fanout.saga.id'] as const;

/**
 * `fanout trace <traceId|orderId|userId>`: a trace id is fetched directly; anything else is looked
 * up as an aggregate id (the Kafka key of its events) across every service that reported spans.
 */
export async function traceCommand(id: string, config: CliConfig): Promise<string> {
  const jaeger = new JaegerClient(config.jaegerUrl, {
    error: (message) => new CliError(message),
    unreachableHint: 'start the stack with `npx fanout stack up` or pass --jaeger',
  });
  const traces = TRACE_ID.test(id)
    ? [await jaeger.trace(id)].filter((t): t is JaegerTrace => t !== undefined)
    : [];
  if (traces.length === 0) traces.push(...(await findByAggregate(jaeger, id, config.json)));
  if (traces.length === 0)
    throw new CliError(
      `no trace found for "${id}" in Jaeger at ${config.jaegerUrl}: spans may still be in flight (wait a few seconds) or sampled out (OTEL_TRACES_SAMPLER)`,
    );
  if (config.json)
    return JSON.stringify(
      traces.map((t) => ({ traceId: t.traceID, spans: waterfallRows(t) })),
      null,
      2,
    );
  return traces.map((t) => renderWaterfall(t)).join('\n\n');
}

async function findByAggregate(
  jaeger: JaegerClient,
  id: string,
  json: boolean,
): Promise<JaegerTrace[]> {
  const services = await jaeger.services();
  const searches = services.flatMap((service) => AGGREGATE_TAGS.map((tag) => ({ service, tag })));
  const progress = progressBar('searching Jaeger', json);
  const found = new Map<string, JaegerTrace>();
  let done = 0;
  try {
    // A few searches at a time: one per service and tag, the query API has no cross-service search.
    for (let i = 0; i < searches.length; i += 6) {
      const batch = await Promise.all(
        searches
          .slice(i, i + 6)
          .map(({ service, tag }) => jaeger.findTraces(service, { [tag]: id })),
      );
      for (const traces of batch) for (const t of traces) found.set(t.traceID, t);
      done += batch.length;
      progress.update(done, searches.length);
    }
  } finally {
    progress.stop();
  }
  // The search answers with the spans of one service; fetch each whole trace.
  const whole = await Promise.all([...found.keys()].map((traceId) => jaeger.trace(traceId)));
  return whole
    .filter((t): t is JaegerTrace => t !== undefined)
    .sort(
      (a, b) =>
        Math.min(...a.spans.map((s) => s.startTime)) - Math.min(...b.spans.map((s) => s.startTime)),
    );
}
