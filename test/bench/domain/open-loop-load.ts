import { Pool } from 'undici';

export interface OpenLoopResponse {
  n: number;
  dueAt: number;
  latencyMs: number;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface OpenLoopResult {
  sent: number;
  statuses: Record<string, number>;
  /** Latency of each response, measured from its scheduled send time (no coordinated omission). */
  latenciesMs: number[];
  durationS: number;
}

/**
 * Constant-arrival load: request i is due at start + i / rate, whatever happened to earlier
 * ones, and its latency counts from that due time. autocannon's `overallRate` instead lets each
 * connection send its share at the start of every second, in bursts, which measures burst
 * queueing rather than latency at a steady rate.
 */
export async function openLoopLoad(options: {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  path: string;
  headers: Record<string, string>;
  body: (n: number) => string;
  /**
   * Optional, per answered request: `dueAt` is the scheduled send time as epoch ms (the origin
   * of its latency), for callers that time what happens after the answer (npm run bench, B1).
   */
  onResponse?: (response: OpenLoopResponse) => void;
}): Promise<OpenLoopResult> {
  const pool = new Pool(options.url, { connections: options.connections, pipelining: 1 });
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const total = Math.round(options.rate * options.durationS);
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const startEpoch = Date.now();
  let next = 0;
  /** When request n is due (performance.now() time). */
  const dueAt = (n: number): number => start + (n * 1000) / options.rate;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && dueAt(next) <= now) {
        const due = dueAt(next);
        const n = next;
        const body = options.body(next);
        next += 1;
        inFlight.push(
          pool
            .request({ method: 'POST', path: options.path, headers: options.headers, body })
            .then(async (response) => {
              const text = await response.body.text();
              statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
              const latencyMs = performance.now() - due;
              latenciesMs.push(latencyMs);
              options.onResponse?.({
                n,
                dueAt: startEpoch + (due - start),
                latencyMs,
                status: response.statusCode,
                headers: response.headers,
                body: text,
              });
            })
            .catch(() => {
              statuses.error = (statuses.error ?? 0) + 1;
            }),
        );
      }
      if (next >= total) resolve();
      // Wake when the next request is due, not every millisecond: at 250/s a 1 ms loop woke
      // four times per request and cost the load generator more CPU than its requests.
      else setTimeout(tick, Math.max(1, dueAt(next) - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const durationS = (performance.now() - start) / 1000;
  await pool.close();
  return { sent: total, statuses, latenciesMs, durationS };
}
