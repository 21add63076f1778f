import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { httpReady, waitUntil } from './health-checks';
import { PlatformError } from './platform-error';
import { compiledServiceEntry } from './service-build';
import { applyNice, rolePriority } from './process-priority';
import { assertPortsFree } from './port-owner';
import { isOurs, logTail, notOurs, spawnManaged } from './process-supervisor';
import type { RunContext } from './run-context';
import { clientEnv } from './secure-kafka';
import {
  serviceCatalog,
  serviceEntry,
  serviceEnv,
  withoutKafkaSecurityEnv,
  type ServiceEnvContext,
  type ServiceRole,
  type ServiceSpec,
} from './services';
import { endpointsOf } from './topology';

export interface ServiceOutcome {
  name: string;
  outcome: 'already-ready' | 'started' | 'absent';
  url?: string;
}

function readyzUrl(spec: ServiceSpec, portOffset: number): string {
  return `http://127.0.0.1:${spec.port + portOffset}/readyz`;
}

export interface ServiceRunOptions {
  /** Plain `node dist/<service>/main.mjs` (`npm run build`) instead of `node --import tsx`. */
  compiled?: boolean;
}

/** The command line that starts one service: from source through tsx, or compiled. */
export function serviceCommand(
  root: string,
  name: string,
  options: ServiceRunOptions = {},
): { args: string[]; entry: string } {
  if (!options.compiled) {
    const entry = serviceEntry(root, name);
    return { entry, args: ['--import', 'tsx', entry] };
  }
  const entry = compiledServiceEntry(root, name);
  // Source maps make stack traces name the .ts files.
  return { entry, args: ['--enable-source-maps', entry] };
}

async function ensureService(
  ctx: RunContext,
  root: string,
  spec: ServiceSpec,
  envContext: ServiceEnvContext,
  options: ServiceRunOptions,
): Promise<ServiceOutcome> {
  if (!existsSync(serviceEntry(root, spec.name))) {
    return { name: spec.name, outcome: 'absent' };
  }
  const { entry, args } = serviceCommand(root, spec.name, options);
  if (!existsSync(entry)) {
    throw new PlatformError(
      'FANOUT_PLATFORM_START_FAILED',
      spec.name,
      `${spec.name} has no compiled entry ${entry}`,
      'Run `npm run build` first (npm start does).',
    );
  }
  const url = readyzUrl(spec, ctx.topology.portOffset);
  const existing = ctx.state.processes[spec.name];
  if (existing && isOurs(existing)) {
    try {
      await waitUntil(() => httpReady(url), {
        timeoutMs: ctx.timeouts.serviceMs,
        whyGone: () => notOurs(existing),
      });
      return { name: spec.name, outcome: 'already-ready', url };
    } catch (error) {
      throw new PlatformError(
        'FANOUT_PLATFORM_UNHEALTHY',
        spec.name,
        `${spec.name} (pid ${existing.pid}) is running but not ready: ${(error as Error).message}`,
        `See ${existing.logFile}; \`npm run stack -- down\` stops it.`,
      );
    }
  }
  await assertPortsFree(
    [{ port: spec.port + ctx.topology.portOffset, label: spec.name }],
    spec.name,
  );
  // Like an orchestrator, restart a service once if it exits during start (e.g. it lost a
  // start-up race with its siblings); a second exit is a failure.
  for (let attempt = 1; ; attempt++) {
    const proc = spawnManaged({
      name: spec.name,
      command: process.execPath,
      args,
      cwd: root,
      env: {
        // The stack decides how services reach Kafka, not the shell that ran `up`.
        ...withoutKafkaSecurityEnv(process.env),
        ...serviceEnv(spec, envContext),
        NODE_ENV: process.env.NODE_ENV ?? 'development',
      },
      logFile: join(ctx.topology.logDir, `${spec.name}.log`),
    });
    ctx.record(proc);
    // Background roles run niced (rolePriority): set at once and again when ready, for the
    // threads started in between.
    const { nice } = rolePriority[spec.role];
    if (nice !== 0) applyNice(proc.pid, nice);
    try {
      await waitUntil(() => httpReady(url), {
        timeoutMs: ctx.timeouts.serviceMs,
        whyGone: () => notOurs(proc),
      });
      if (nice !== 0) applyNice(proc.pid, nice);
      break;
    } catch (error) {
      if (attempt < 2 && !isOurs(proc)) {
        ctx.log(`  ! ${spec.name} exited during start; restarting it once (see ${proc.logFile})`);
        continue;
      }
      throw new PlatformError(
        'FANOUT_PLATFORM_START_FAILED',
        spec.name,
        `${spec.name} did not become ready at ${url}: ${(error as Error).message}\n  last lines of ${proc.logFile}:\n${logTail(proc.logFile)}`,
        `See ${proc.logFile}.`,
        { cause: error },
      );
    }
  }
  return { name: spec.name, outcome: 'started', url };
}

/** Start order: the APIs consumers call, then producers and the saga, then consumers. */
const tiers: ReadonlyArray<readonly ServiceRole[]> = [
  ['sandbox'],
  ['domain', 'saga'],
  ['consumer'],
  ['ops'],
];

/**
 * Starts each catalog service whose `services/<name>/src/main.ts` exists and waits for its
 * /readyz, a tier at a time, the services of one tier in parallel. Services not written yet
 * are reported as absent, not as failures.
 */
export async function ensureServices(
  ctx: RunContext,
  root: string,
  only?: readonly string[],
  options: ServiceRunOptions = {},
): Promise<ServiceOutcome[]> {
  const envContext: ServiceEnvContext = {
    endpoints: endpointsOf(ctx.topology),
    stateDir: ctx.topology.stateDir,
    portOffset: ctx.topology.portOffset,
    ...(ctx.secure ? { kafkaSecurityEnv: clientEnv(ctx.secure.material) } : {}),
  };
  const outcomes: ServiceOutcome[] = [];
  for (const roles of tiers) {
    const specs = serviceCatalog.filter(
      (s) => roles.includes(s.role) && (!only || only.includes(s.name)),
    );
    const results = await Promise.allSettled(
      specs.map((spec) => ensureService(ctx, root, spec, envContext, options)),
    );
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    outcomes.push(...results.map((r) => (r as PromiseFulfilledResult<ServiceOutcome>).value));
  }
  return outcomes;
}
