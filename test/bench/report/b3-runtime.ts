import { join } from 'node:path';
import type { BenchContext } from './bench-context';
import { runChildBenchmark } from './child-benchmark';
import { phase } from './progress';
import { loadAverageNow, setupRecord } from './setup-record';
import type { SetupRecord } from './setup-record';

export interface RuntimeScenario {
  scenario: string;
  handlerMs: number;
  partitions: number;
  dedupe: boolean;
  messages: { plain: number; runtime: number };
  medianPerSecond: { plain: number; runtime: number };
  ratio: number;
  orderViolations: { plain: number; runtime: number };
}

export interface B3Report {
  benchmark: 'B3';
  title: string;
  quick: boolean;
  setup: SetupRecord;
  settings: Record<string, unknown>;
  loadAverage: { before: number[]; after: number[] };
  /** docs/bench-results/runtime.json's shape, from test/bench/runtime/runtime-bench.ts. */
  runtime: {
    settings: Record<string, string>;
    targets: Record<string, string>;
    results: RuntimeScenario[];
  };
}

/** B3: test/bench/runtime (npm run bench:runtime) re-run against the bench stack. */
export async function runB3(ctx: BenchContext): Promise<B3Report> {
  const args = [`--reps=${ctx.options.b3Reps}`, ...(ctx.options.quick ? ['--quick'] : [])];
  phase(`B3 runtime vs plain kafkajs: test/bench/runtime/runtime-bench.ts ${args.join(' ')}`);
  const before = loadAverageNow();
  const setup = setupRecord(ctx.root);
  const runtime = (await runChildBenchmark(ctx, {
    name: 'runtime-bench',
    script: 'test/bench/runtime/runtime-bench.ts',
    args,
    jsonOut: join(ctx.workDir, 'runtime.json'),
    timeoutMs: 20 * 60_000,
  })) as B3Report['runtime'];
  return {
    benchmark: 'B3',
    title: 'Consumer runtime against plain kafkajs eachMessage',
    quick: ctx.options.quick,
    setup,
    settings: {
      command: `node --import tsx test/bench/runtime/runtime-bench.ts ${args.join(' ')}`,
      repetitions: ctx.options.b3Reps,
      scale: ctx.options.quick ? '0.2 (--quick)' : '1',
    },
    loadAverage: { before, after: loadAverageNow() },
    runtime,
  };
}
