import type { Logger } from '@fanout/telemetry';
import type { RequestLog } from './request-log';

type Counts = Record<string, Record<string, number>>;

/**
 * What an operator would want from per-request lines, once a minute instead: requests by API and
 * status since the last summary (no line when idle). Faults, refusals and failures still log.
 */
export function startRequestSummary(
  requests: Pick<RequestLog, 'stats'>,
  logger: Pick<Logger, 'info'>,
  intervalMs = 60_000,
): NodeJS.Timeout {
  let last: Counts = {};
  const timer = setInterval(() => {
    const { delta, total, now } = requestsSince(last, requests.stats());
    last = now;
    if (total > 0) logger.info(summaryFields(delta, total, intervalMs), 'requests served');
  }, intervalMs);
  timer.unref();
  return timer;
}

/** The counts added since `last`, by API and status, from the log's cumulative stats. */
export function requestsSince(
  last: Counts,
  stats: ReturnType<RequestLog['stats']>,
): { delta: Counts; total: number; now: Counts } {
  const delta: Counts = {};
  const now: Counts = {};
  let total = 0;
  for (const [api, { byStatus }] of Object.entries(stats)) {
    now[api] = byStatus;
    for (const [status, count] of Object.entries(byStatus)) {
      const added = count - (last[api]?.[status] ?? 0);
      if (added > 0) {
        (delta[api] ??= {})[status] = added;
        total += added;
      }
    }
  }
  return { delta, total, now };
}

/**
 * The summary's log fields. APIs are values, not keys: the logger redacts every key named like
 * personal data (`email`), which hid the email API's counts when they were keyed by API.
 */
export function summaryFields(
  delta: Counts,
  total: number,
  intervalMs: number,
): {
  requests: number;
  byApi: { api: string; byStatus: Record<string, number> }[];
  intervalMs: number;
} {
  return {
    requests: total,
    byApi: Object.entries(delta).map(([api, byStatus]) => ({ api, byStatus })),
    intervalMs,
  };
}
