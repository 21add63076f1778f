import { randomUUID } from 'node:crypto';
import {
  endpointsOf,
  resolveTopology,
  serviceCatalog,
  startPlatform,
  stopPlatform,
} from '@fanout/local-platform';
import type { ServiceOutcome } from '@fanout/local-platform';
import { platformEndpoints } from '@fanout/test-platform';

/**
 * The whole system as `npm start` starts it: every service of the catalog, from its
 * `services/<name>/src/main.ts`, with the catalog's env and fixed ports, against the platform
 * under test, in the same stack profile as `npm start` (FANOUT_STACK_PROFILE, default
 * `default`). Services a developer's `npm start` already runs are reused; only the processes
 * this suite started are stopped afterwards.
 */
export const API_KEY = 'local-dev-key';

export interface SystemUnderTest {
  services: ServiceOutcome[];
  /** Catalog services whose main.ts does not exist yet: the tests needing them must fail. */
  absent: string[];
  url(service: string, path: string): string;
  stop(): Promise<void>;
}

export async function startSystem(): Promise<SystemUnderTest> {
  const portOffset = Number(process.env.FANOUT_STACK_PORT_OFFSET ?? 0);
  const profile = process.env.FANOUT_STACK_PROFILE ?? 'default';
  const stack = { profile, portOffset, components: [] as const };
  // The services get the endpoints of the topology; they must be the platform under test.
  const expected = endpointsOf(resolveTopology({ ...stack, components: [] }));
  const actual = platformEndpoints();
  if (expected.kafkaBrokers.join(',') !== actual.kafkaBrokers.join(','))
    throw new Error(
      `the e2e suite runs the services as npm start does (Kafka at ${expected.kafkaBrokers.join(',')}), but the platform under test is at ${actual.kafkaBrokers.join(',')}: run it against the local stack (FANOUT_STACK_PORT_OFFSET for another offset)`,
    );
  const log = (line: string) => console.log(`[e2e] ${line}`);
  const running = await startPlatform({
    ...stack,
    components: [],
    services: true,
    log,
    timeouts: { serviceMs: 240_000 },
  });
  const port = (service: string) => {
    const spec = serviceCatalog.find((s) => s.name === service);
    if (!spec) throw new Error(`no service ${service} in the catalog`);
    return spec.port + portOffset;
  };
  return {
    services: running.services,
    absent: running.services.filter((s) => s.outcome === 'absent').map((s) => s.name),
    url: (service, path) => `http://127.0.0.1:${port(service)}${path}`,
    stop: async () => {
      if (running.started.length > 0)
        await stopPlatform({ ...stack, components: [], only: running.started, log });
    },
  };
}

export async function httpJson<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: {
      'x-api-key': API_KEY,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls until `probe` gives a value, bounded in time; the error names what never happened. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 1_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
