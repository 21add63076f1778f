import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyNice,
  rolePriority,
  serviceCatalog,
  serviceCommand,
  serviceEnv,
} from '@fanout/local-platform';
import type { StackEndpoints } from '@fanout/local-platform';
import type { ChildProcesses, TrackedChild } from './child-processes';
import { note } from './progress';
import type { MeteredProcess } from './process-cpu';
import {
  CONSUMER_ENV,
  FANOUT_APIS,
  SERVICE_LOG_LEVEL,
  USER_SERVICE_ENV,
  samplingEnv,
} from './bench-settings';
import type { FanoutApi } from './bench-settings';

/** The services of the registration fan-out, in start order (what they call first). */
const TIERS: readonly (readonly string[])[] = [
  ['sandbox-apis'],
  ['user-service'],
  FANOUT_APIS.map((api) => `${api}-consumer`),
];

export interface FanoutServices {
  userServiceUrl: string;
  sandboxUrl: string;
  /** `<API>_API_URL` and `<API>_API_KEY` of each consumer, for the in-request baselines. */
  apiTargets: Record<FanoutApi, { url: string; key: string }>;
  /** What each service was started with beyond the shared names (keys left out). */
  settings: Record<string, Record<string, string>>;
  /** The running services' pids with their roles, for the CPU table. */
  processes(): MeteredProcess[];
  stop(): Promise<void>;
}

/**
 * `bench`: the report's settings (bench-settings.ts: log level, sampling, windows, rate
 * limit). `defaults`: what `npm start` runs (the catalog's env only, plus the bench's API key).
 */
export type ServiceTuning = 'bench' | 'defaults';

const hidden = (name: string) => /KEY/.test(name);

async function waitReady(tracked: TrackedChild, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!tracked.running())
      throw new Error(
        `${tracked.name} exited during start (see ${tracked.logFile}):\n${tracked.tail()}`,
      );
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      const body = await response.text();
      if (response.ok) return;
      last = `${response.status} ${body.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `${tracked.name} was not ready at ${url} within ${timeoutMs / 1000} s (last: ${last}); see ${tracked.logFile}:\n${tracked.tail()}`,
  );
}

/**
 * Starts sandbox-apis, user-service and the four registration consumers as `npm start` does
 * (`node --enable-source-maps dist/<name>/main.mjs`, built by the report at its start, with the
 * catalog's env for this stack),
 * plus the benchmark's settings: log level, sampling, concurrency windows, rate limit.
 * Resolves when every /readyz answers 200; a service that exits or stays unready fails the
 * start naming it and quoting its log.
 */
export async function startFanoutServices(
  children: ChildProcesses,
  options: {
    root: string;
    endpoints: StackEndpoints;
    portOffset: number;
    workDir: string;
    sampling: number;
    tuning: ServiceTuning;
    /** Run each role at its catalog priority (rolePriority: consumers and the sandbox niced). */
    priorities: boolean;
    /** USER_EVENTS_TOPIC of user-service and the consumers: one per service set, so a backlog
     * one set leaves behind never reaches the next. */
    userEventsTopic: string;
    readyTimeoutMs?: number;
    /** Directory for `node --cpu-prof` profiles (written when each service stops). */
    cpuProfDir?: string;
  },
): Promise<FanoutServices> {
  const started: TrackedChild[] = [];
  const settings: Record<string, Record<string, string>> = {};
  const ctx = {
    endpoints: options.endpoints,
    stateDir: options.workDir,
    portOffset: options.portOffset,
  };
  const specOf = (name: string) => {
    const spec = serviceCatalog.find((s) => s.name === name);
    if (!spec) throw new Error(`service ${name} is not in deploy/local's serviceCatalog`);
    return spec;
  };
  let stopping = false;
  const stop = async () => {
    stopping = true;
    // Consumers first (they call the sandbox), then the producer, then the sandbox.
    for (const tier of [...TIERS].reverse()) {
      await Promise.all(
        started.filter((c) => tier.includes(c.name)).map((c) => children.stop(c, 20_000)),
      );
    }
  };
  try {
    for (const tier of TIERS) {
      await Promise.all(
        tier.map(async (name) => {
          const spec = specOf(name);
          const extra: Record<string, string> =
            options.tuning === 'bench'
              ? {
                  LOG_LEVEL: SERVICE_LOG_LEVEL,
                  ...samplingEnv(options.sampling),
                  ...(spec.role === 'consumer' ? CONSUMER_ENV : {}),
                  ...(name === 'user-service' ? USER_SERVICE_ENV : {}),
                }
              : name === 'user-service'
                ? { API_KEYS: USER_SERVICE_ENV.API_KEYS! }
                : {};
          if (name !== 'sandbox-apis') {
            extra.USER_EVENTS_TOPIC = options.userEventsTopic;
            // The user table topic too, so a consumer's view reads only this set's users.
            extra.USER_CONTACTS_TOPIC = `${options.userEventsTopic}.contacts`;
          }
          const nice = options.priorities ? rolePriority[spec.role].nice : 0;
          const env = { ...serviceEnv(spec, ctx), ...extra };
          mkdirSync(env.DATA_DIR!, { recursive: true });
          settings[name] = Object.fromEntries(
            Object.entries(env).filter(([k]) => !hidden(k) && k !== 'DATA_DIR'),
          );
          settings[name]!.nice = String(nice);
          const tracked = children.spawn(
            name,
            process.execPath,
            [
              ...(options.cpuProfDir
                ? [
                    '--cpu-prof',
                    // A directory per service and set, with Node's default names: each thread
                    // (main, any worker) writes its own file, and Node 20 expands no
                    // placeholders in --cpu-prof-name (a fixed name let the idle loader thread
                    // overwrite the main thread's profile).
                    `--cpu-prof-dir=${join(options.cpuProfDir, `${name}-${options.userEventsTopic.split('.').pop()}`)}`,
                  ]
                : []),
              ...serviceCommand(options.root, name, { compiled: true }).args,
            ],
            {
              cwd: options.root,
              env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
            },
          );
          started.push(tracked);
          if (nice !== 0 && tracked.child.pid) applyNice(tracked.child.pid, nice);
          void tracked.exited.then(({ code, signal }) => {
            if (!stopping)
              note(`! ${name} exited unexpectedly (${code ?? signal}); see ${tracked.logFile}`);
          });
          await waitReady(
            tracked,
            `http://127.0.0.1:${spec.port + options.portOffset}/readyz`,
            options.readyTimeoutMs ?? 180_000,
          );
          // Again once ready, for threads started before the first call reached them.
          if (nice !== 0 && tracked.child.pid) applyNice(tracked.child.pid, nice);
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const apiTargets = Object.fromEntries(
    FANOUT_APIS.map((api) => {
      const env = serviceEnv(specOf(`${api}-consumer`), ctx);
      const prefix = api.toUpperCase();
      return [api, { url: env[`${prefix}_API_URL`]!, key: env[`${prefix}_API_KEY`]! }];
    }),
  ) as Record<FanoutApi, { url: string; key: string }>;
  return {
    userServiceUrl: `http://127.0.0.1:${specOf('user-service').port + options.portOffset}`,
    sandboxUrl: `http://127.0.0.1:${specOf('sandbox-apis').port + options.portOffset}`,
    apiTargets,
    settings,
    processes: () =>
      started
        .filter((c) => c.running() && c.child.pid !== undefined)
        .map((c) => ({ name: c.name, kind: specOf(c.name).role, pid: c.child.pid! })),
    stop,
  };
}
