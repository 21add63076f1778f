import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { httpReady, waitUntil } from './health-checks';
import { PlatformError } from './platform-error';
import { assertPortsFree } from './port-owner';
import { isOurs, logTail, spawnManaged } from './process-supervisor';
import type { RunContext } from './run-context';
import { serviceCatalog, serviceEntry, serviceEnv, type ServiceSpec } from './services';
import { endpointsOf } from './topology';

export interface ServiceOutcome {
  name: string;
  outcome: 'already-ready' | 'started' | 'absent';
  url?: string;
}

function readyzUrl(spec: ServiceSpec, portOffset: number): string {
  return `http://127.0.0.1:${spec.port + portOffset}/readyz`;
}

/**
 * Starts each catalog service whose `services/<name>/src/main.ts` exists and waits for its
 * /readyz. Services not written yet are reported as absent, not as failures.
 */
export async function ensureServices(
  ctx: RunContext,
  root: string,
  only?: readonly string[],
): Promise<ServiceOutcome[]> {
  const outcomes: ServiceOutcome[] = [];
  const envContext = {
    endpoints: endpointsOf(ctx.topology),
    stateDir: ctx.topology.stateDir,
    portOffset: ctx.topology.portOffset,
  };
  for (const spec of serviceCatalog) {
    if (only && !only.includes(spec.name)) continue;
    const entry = serviceEntry(root, spec.name);
    if (!existsSync(entry)) {
      outcomes.push({ name: spec.name, outcome: 'absent' });
      continue;
    }
    const url = readyzUrl(spec, ctx.topology.portOffset);
    const existing = ctx.state.processes[spec.name];
    if (existing && isOurs(existing)) {
      try {
        await waitUntil(() => httpReady(url), {
          timeoutMs: ctx.timeouts.serviceMs,
          stillRunning: () => isOurs(existing),
        });
        outcomes.push({ name: spec.name, outcome: 'already-ready', url });
        continue;
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
    const proc = spawnManaged({
      name: spec.name,
      command: process.execPath,
      args: ['--import', 'tsx', entry],
      cwd: root,
      env: {
        ...process.env,
        ...serviceEnv(spec, envContext),
        NODE_ENV: process.env.NODE_ENV ?? 'development',
      },
      logFile: join(ctx.topology.logDir, `${spec.name}.log`),
    });
    ctx.record(proc);
    try {
      await waitUntil(() => httpReady(url), {
        timeoutMs: ctx.timeouts.serviceMs,
        stillRunning: () => isOurs(proc),
      });
    } catch (error) {
      throw new PlatformError(
        'FANOUT_PLATFORM_START_FAILED',
        spec.name,
        `${spec.name} did not become ready at ${url}: ${(error as Error).message}\n  last lines of ${proc.logFile}:\n${logTail(proc.logFile)}`,
        `See ${proc.logFile}.`,
        { cause: error },
      );
    }
    outcomes.push({ name: spec.name, outcome: 'started', url });
  }
  return outcomes;
}
