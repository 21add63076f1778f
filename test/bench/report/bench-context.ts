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
}
