import { z } from 'zod';
import { latencySchema } from './latency';
import type { LatencyDistribution } from './latency';

/** The seven APIs the sandbox serves, each under `/<name>`. */
export const API_NAMES = [
  'email',
  'crm',
  'analytics',
  'search',
  'inventory',
  'payment',
  'shipping',
] as const;
export type ApiName = (typeof API_NAMES)[number];

export function isApiName(value: string): value is ApiName {
  return (API_NAMES as readonly string[]).includes(value);
}

const rate = z.number().min(0).max(1);
/**
 * `before`: the failure happens before the API acts (nothing changed).
 * `after`: the API acts, stores its answer under the Idempotency-Key, and then the failure
 * hides that answer from the caller — the case that makes idempotency keys necessary.
 */
const phase = z.enum(['before', 'after']);

/** What an admin may set per API (PUT replaces, PATCH merges; `null` clears a field). */
export const faultsInputSchema = z
  .object({
    latency: latencySchema.nullable(),
    errorRate: rate,
    errorStatus: z.number().int().min(500).max(599),
    errorPhase: phase,
    hang: z
      .object({
        rate: rate.default(1),
        /** Answer normally after this long; null or absent: never answer. */
        afterMs: z.number().int().min(0).nullable().default(null),
        phase: phase.default('before'),
      })
      .strict()
      .nullable(),
    outage: z
      .object({
        /** Absent: until cleared. */
        durationMs: z.number().int().positive().optional(),
        status: z.number().int().min(500).max(599).default(503),
        retryAfterSeconds: z.number().int().min(0).optional(),
      })
      .strict()
      .nullable(),
    rateLimit: z
      .object({
        requestsPerSecond: z.number().min(0),
        burst: z.number().int().min(1).optional(),
        /** Fixed Retry-After; default: time until the next token, rounded up. */
        retryAfterSeconds: z.number().int().min(0).optional(),
        retryAfterFormat: z.enum(['seconds', 'http-date']).default('seconds'),
      })
      .strict()
      .nullable(),
    badResponse: z
      .object({ rate: rate.default(1), kind: z.enum(['non_json', 'missing_fields']) })
      .strict()
      .nullable(),
  })
  .strict()
  .partial();

export type FaultsInput = z.infer<typeof faultsInputSchema>;
/** What callers may pass: defaults (e.g. `rate: 1`) are filled in. */
export type FaultsInputArg = z.input<typeof faultsInputSchema>;

export interface Faults {
  latency: LatencyDistribution | null;
  errorRate: number;
  errorStatus: number;
  errorPhase: 'before' | 'after';
  hang: { rate: number; afterMs: number | null; phase: 'before' | 'after' } | null;
  outage: { until: number; status: number; retryAfterSeconds: number | undefined } | null;
  rateLimit: {
    requestsPerSecond: number;
    burst: number;
    retryAfterSeconds: number | undefined;
    retryAfterFormat: 'seconds' | 'http-date';
  } | null;
  badResponse: { rate: number; kind: 'non_json' | 'missing_fields' } | null;
}

export function noFaults(): Faults {
  return {
    latency: null,
    errorRate: 0,
    errorStatus: 500,
    errorPhase: 'before',
    hang: null,
    outage: null,
    rateLimit: null,
    badResponse: null,
  };
}

/** Applies an admin input on top of `base` (PATCH) or on a clean slate (PUT). */
export function applyFaults(base: Faults, input: FaultsInput, now: number): Faults {
  const next: Faults = { ...base };
  if (input.latency !== undefined) next.latency = input.latency;
  if (input.errorRate !== undefined) next.errorRate = input.errorRate;
  if (input.errorStatus !== undefined) next.errorStatus = input.errorStatus;
  if (input.errorPhase !== undefined) next.errorPhase = input.errorPhase;
  if (input.hang !== undefined) next.hang = input.hang;
  if (input.badResponse !== undefined) next.badResponse = input.badResponse;
  if (input.outage !== undefined) {
    next.outage = input.outage && {
      until: input.outage.durationMs === undefined ? Infinity : now + input.outage.durationMs,
      status: input.outage.status,
      retryAfterSeconds: input.outage.retryAfterSeconds,
    };
  }
  if (input.rateLimit !== undefined) {
    next.rateLimit = input.rateLimit && {
      requestsPerSecond: input.rateLimit.requestsPerSecond,
      burst: input.rateLimit.burst ?? Math.max(1, Math.ceil(input.rateLimit.requestsPerSecond)),
      retryAfterSeconds: input.rateLimit.retryAfterSeconds,
      retryAfterFormat: input.rateLimit.retryAfterFormat,
    };
  }
  return next;
}

/** The faults as the admin API shows them (outage end as an ISO date, or null = until cleared). */
export function describeFaults(faults: Faults, now: number) {
  return {
    ...faults,
    outage:
      faults.outage && faults.outage.until > now
        ? {
            status: faults.outage.status,
            until: Number.isFinite(faults.outage.until)
              ? new Date(faults.outage.until).toISOString()
              : null,
            retryAfterSeconds: faults.outage.retryAfterSeconds ?? null,
          }
        : null,
  };
}
