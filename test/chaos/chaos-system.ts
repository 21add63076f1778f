import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import {
  platformStatus,
  serviceCatalog,
  serviceEnv,
  startPlatform,
  stateDir,
  stopPlatform,
} from '@fanout/local-platform';
import type { StackEndpoints } from '@fanout/local-platform';

/**
 * The chaos suite's own stack: three brokers (replication 3, min.insync.replicas 2) and a
 * registry on port offset 16000, every catalog service as a process, never the shared platform.
 * (Offset 14000 is the benchmark stack's; see docs/reliability.md.)
 */
export const CHAOS_STACK = {
  profile: 'chaos',
  brokers: 3,
  portOffset: 16_000,
} as const;

/**
 * Environment the chaos stack's services get on top of the catalog's: topics they create are
 * replicated three times (the catalog default is 1, for a one-broker stack), and there is no
 * Jaeger in this stack, so the OpenTelemetry SDK is off (nothing here reads traces).
 */
export const CHAOS_SERVICE_ENV: Readonly<Record<string, string>> = {
  KAFKA_REPLICATION_FACTOR: '3',
  OTEL_SDK_DISABLED: 'true',
  OTEL_TRACES_EXPORTER: 'none',
  OTEL_METRICS_EXPORTER: 'none',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
};

export const API_KEY = 'local-dev-key';

export type Log = (line: string) => void;

/**
 * `startPlatform` passes its own process.env to the services it spawns (the catalog's variables
 * win). The integration project runs one file at a time in one fork, so setting the variables
 * for the duration of the call affects nothing else.
 */
async function withServiceEnv<T>(
  extra: Readonly<Record<string, string>>,
  run: () => Promise<T>,
): Promise<T> {
  const saved = new Map<string, string | undefined>();
  const all = { ...CHAOS_SERVICE_ENV, ...extra };
  for (const [name, value] of Object.entries(all)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  try {
    return await run();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

export interface ChaosSystem {
  endpoints: StackEndpoints;
  /** Processes this run started (the stack was cold), or [] when it reused a running one. */
  started: string[];
  url(service: string, path: string): string;
  kafka(clientId: string): Kafka;
  /** The pid of a service the stack started and that still runs. */
  pidOf(service: string): Promise<number>;
  /** SIGKILL to a service (no shutdown, no commit). Resolves when the process is gone. */
  sigkill(service: string): Promise<number>;
  /** Graceful stop (SIGTERM, the service leaves its group and commits), bounded. */
  stop(services: readonly string[]): Promise<void>;
  /** Starts the services that are not running (with `extraEnv`), waits for their /readyz. */
  start(services: readonly string[], extraEnv?: Readonly<Record<string, string>>): Promise<void>;
  /** Brings every service back (those a scenario stopped or replaced), waits for /readyz. */
  heal(): Promise<void>;
  /** Stops the whole profile, unless FANOUT_CHAOS_KEEP_STACK=1. */
  shutdown(): Promise<void>;
}

const stack = (components: ('kafka' | 'registry')[]) => ({ ...CHAOS_STACK, components });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the chaos stack (or reuses a running one) with every catalog service. A cold start also
 * clears the services' SQLite files (outboxes, dedupe stores, tombstones) so they match the fresh
 * Kafka storage and the fresh in-memory registry and sandbox.
 */
export async function startChaosSystem(log: Log): Promise<ChaosSystem> {
  const status = await platformStatus(stack(['kafka', 'registry']));
  const anyRunning = [...status.components, ...status.services].some((c) => c.pid !== undefined);
  if (!anyRunning) {
    for (const spec of serviceCatalog)
      rmSync(join(stateDir(CHAOS_STACK.profile), 'data', spec.name), {
        recursive: true,
        force: true,
      });
  }
  const running = await withServiceEnv({}, () =>
    startPlatform({
      ...stack(['kafka', 'registry']),
      services: true,
      log,
      timeouts: { serviceMs: 180_000, kafkaMs: 180_000, registryMs: 180_000 },
    }),
  );
  const absent = running.services.filter((s) => s.outcome === 'absent').map((s) => s.name);
  if (absent.length > 0) throw new Error(`services without a main.ts: ${absent.join(', ')}`);
  const endpoints = running.endpoints;

  const portOf = (service: string): number => {
    const spec = serviceCatalog.find((s) => s.name === service);
    if (!spec) throw new Error(`no service ${service} in the catalog`);
    return spec.port + CHAOS_STACK.portOffset;
  };

  const pidOf = async (service: string): Promise<number> => {
    const now = await platformStatus(stack([]));
    const pid = now.services.find((s) => s.name === service)?.pid;
    if (pid === undefined) throw new Error(`${service} is not running in the chaos stack`);
    return pid;
  };

  const start = async (
    services: readonly string[],
    extraEnv: Readonly<Record<string, string>> = {},
  ): Promise<void> => {
    await withServiceEnv(extraEnv, () =>
      startPlatform({
        ...stack([]),
        services: [...services],
        log,
        timeouts: { serviceMs: 180_000 },
      }),
    );
  };

  return {
    endpoints,
    started: running.started,
    url: (service, path) => `http://127.0.0.1:${portOf(service)}${path}`,
    kafka: (clientId) =>
      new Kafka({
        clientId,
        brokers: endpoints.kafkaBrokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3_000,
        retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3_000 },
      }),
    pidOf,
    async sigkill(service) {
      const pid = await pidOf(service);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      if (alive(pid)) throw new Error(`${service} (pid ${pid}) survived SIGKILL for 10 s`);
      return pid;
    },
    async stop(services) {
      await stopPlatform({ ...stack([]), only: [...services], log });
    },
    start,
    async heal() {
      await start(serviceCatalog.map((s) => s.name));
    },
    async shutdown() {
      if (process.env.FANOUT_CHAOS_KEEP_STACK === '1') {
        log('FANOUT_CHAOS_KEEP_STACK=1: the chaos stack is left running');
        return;
      }
      await stopPlatform({ ...stack(['kafka', 'registry']), log });
    },
  };
}

/** A catalog service's environment in the chaos stack, for a process a test starts itself. */
export function chaosServiceEnv(
  service: string,
  endpoints: StackEndpoints,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const spec = serviceCatalog.find((s) => s.name === service);
  if (!spec) throw new Error(`no service ${service} in the catalog`);
  return {
    ...serviceEnv(spec, {
      endpoints,
      stateDir: stateDir(CHAOS_STACK.profile),
      portOffset: CHAOS_STACK.portOffset,
    }),
    ...CHAOS_SERVICE_ENV,
    ...overrides,
  };
}
