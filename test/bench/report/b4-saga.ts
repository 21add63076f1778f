import { join } from 'node:path';
import type { BenchContext } from './bench-context';
import { runChildBenchmark } from './child-benchmark';
import { phase } from './progress';
import { loadAverageNow, setupRecord } from './setup-record';
import type { SetupRecord } from './setup-record';

export interface SagaScenario {
  name: string;
  delays: Record<string, number>;
  sagas: number;
  completed: number;
  confirmed: number;
  duplicateTerminalEvents: number;
  wallSeconds: number;
  sagasPerSecond: number;
  durationMs: { p50: number; p95: number; p99: number; max: number };
}

export interface B4Report {
  benchmark: 'B4';
  title: string;
  quick: boolean;
  setup: SetupRecord;
  settings: Record<string, unknown>;
  loadAverage: { before: number[]; after: number[] };
  /** test/bench/saga/saga-bench.ts's JSON. */
  saga: {
    setup: Record<string, unknown>;
    brokerTransactionCalibration: Record<string, number>;
    results: SagaScenario[];
  };
}

/** B4: test/bench/saga (npm run bench:saga) re-run against the bench stack. */
export async function runB4(ctx: BenchContext): Promise<B4Report> {
  const b4 = ctx.options.b4;
  const args = [
    `--orders=${b4.orders}`,
    `--rate=${b4.rate}`,
    `--light-rate=${b4.lightRate}`,
    `--seconds=${b4.seconds}`,
  ];
  phase(`B4 sagas: test/bench/saga/saga-bench.ts ${args.join(' ')}`);
  const before = loadAverageNow();
  const setup = setupRecord(ctx.root);
  const saga = (await runChildBenchmark(ctx, {
    name: 'saga-bench',
    script: 'test/bench/saga/saga-bench.ts',
    args,
    jsonOut: join(ctx.workDir, 'saga.json'),
    timeoutMs: 15 * 60_000,
  })) as B4Report['saga'];
  return {
    benchmark: 'B4',
    title: 'Order sagas: sagas/s and saga duration',
    quick: ctx.options.quick,
    setup,
    settings: {
      command: `node --import tsx test/bench/saga/saga-bench.ts ${args.join(' ')}`,
      ...b4,
    },
    loadAverage: { before, after: loadAverageNow() },
    saga,
  };
}
