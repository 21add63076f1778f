import type { ChildProcesses } from './child-processes';
import type { ReportOptions } from './report-options';
import type { ServiceSets } from './service-sets';
import type { MeteredProcess } from './process-cpu';

/** What every benchmark of the report gets from the harness. */
export interface BenchContext {
  root: string;
  options: ReportOptions;
  children: ChildProcesses;
  sets: ServiceSets;
  workDir: string;
  /** FANOUT_* variables pointing @fanout/test-platform at the bench stack. */
  platformEnv: Record<string, string>;
  /** Broker(s), registry and Jaeger of the bench stack, for the CPU table (ours only). */
  platformProcesses: MeteredProcess[];
  /** False until the first warm-up of a run that started the platform (a fresh broker). */
  platformWarm: boolean;
}

/**
 * Seconds of the next warm-up: `--warmup-s`, or `--platform-warmup-s` for the first one of a
 * run whose broker is fresh (its JVM still compiling).
 */
export function warmUpSeconds(ctx: BenchContext): number {
  const { warmupS, platformWarmupS } = ctx.options;
  const seconds = ctx.platformWarm ? warmupS : Math.max(warmupS, platformWarmupS);
  ctx.platformWarm = true;
  return seconds;
}
