import { parseArgs } from 'node:util';

export const BENCHMARKS = ['B1', 'B2', 'B3', 'B4'] as const;
export type BenchmarkId = (typeof BENCHMARKS)[number];

export interface ReportOptions {
  quick: boolean;
  only: BenchmarkId[];
  /** B1: offered rate and measured seconds per approach; warm-up rate and seconds. */
  rate: number;
  durationS: number;
  warmupRate: number;
  warmupS: number;
  /** The first warm-up of a run that started the platform lasts at least this long. */
  platformWarmupS: number;
  /** B2: offered rates stepped up, seconds per step. */
  b2Rates: number[];
  b2DurationS: number;
  b2Samplings: number[];
  /** B2 with \`npm start\`'s own settings (catalog env, default log level and sampling): one step at this rate. */
  defaultsRate: number;
  /** B1 (c) and the services' sampling ratio during B1. */
  b1Sampling: number;
  b3Reps: number;
  b4: { orders: number; rate: number; lightRate: number; seconds: number };
  portOffset: number;
  keepStack: boolean;
  /** Start the fan-out services with --cpu-prof (profiles in .fanout/bench/<run>/profiles). */
  cpuProf: boolean;
  renderOnly: boolean;
  outDir: string;
}

const HELP = `npm run bench -- [options]

  --quick              small counts, for development (minutes, not 25)
  --only=B1,B2,B3,B4   run these benchmarks only; the others keep their last JSON
  --rate=500           B1 offered rate (requests/s, open loop)
  --duration=30        B1 measured seconds per approach
  --b2-rates=250,...   B2 offered rates, stepped up until the fan-out falls behind
  --b2-duration=20     B2 seconds per step
  --warmup-rate=250    unmeasured load after each set of services starts, req/s
  --warmup-s=15        its seconds (connections opened, code optimized, statements prepared)
  --platform-warmup-s=60
                       the first warm-up lasts this long when the run started the platform: a
                       fresh broker JVM compiles for minutes (the CPU table shows its JIT part)
  --defaults-rate=200  B2's step with npm start's own settings (log level, sampling), req/s
  --b3-reps=2          B3 repetitions per consumer (median reported)
  --port-offset=14000  the "bench" stack's port offset (every port below 32768)
  --cpu-prof           profile the fan-out services (node --cpu-prof, written when they stop)
                       into .fanout/bench/<run>/profiles; summarize with
                       tsx test/bench/report/profile-summary.ts <dir>
  --keep-stack         leave the bench platform running at the end (reused next time)
  --render-only        rebuild docs/benchmarks.md and the charts from the JSON, run nothing
  --out-dir=docs       where benchmarks.md, bench-results/ and charts/ go
`;

const numberList = (value: string): number[] =>
  value
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => Number.isFinite(v) && v > 0);

export function parseReportOptions(argv: string[]): ReportOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      'b2-rates': { type: 'string' },
      'b2-duration': { type: 'string' },
      'warmup-rate': { type: 'string' },
      'warmup-s': { type: 'string' },
      'platform-warmup-s': { type: 'string' },
      'b3-reps': { type: 'string' },
      'defaults-rate': { type: 'string' },
      'port-offset': { type: 'string', default: '14000' },
      'keep-stack': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'render-only': { type: 'boolean', default: false },
      'out-dir': { type: 'string', default: 'docs' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const only = (values.only ?? BENCHMARKS.join(','))
    .split(',')
    .map((v) => v.trim().toUpperCase())
    .filter(Boolean);
  const unknown = only.filter((v) => !(BENCHMARKS as readonly string[]).includes(v));
  if (unknown.length > 0)
    throw new Error(`--only: unknown benchmark ${unknown.join(', ')}; use ${BENCHMARKS.join(',')}`);
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number`);
    return n;
  };
  const b2Rates = values['b2-rates']
    ? numberList(values['b2-rates'])
    : quick
      ? [100, 200]
      : [250, 500, 1_000, 2_000, 3_000, 4_000];
  if (b2Rates.length === 0) throw new Error('--b2-rates: expected rates such as 500,1000');
  return {
    quick,
    only: only as BenchmarkId[],
    rate: positive('rate', values.rate, 500),
    durationS: positive('duration', values.duration, quick ? 5 : 30),
    // Every service and the broker have handled a few thousand registrations (connections
    // open, code optimized) before the first measured step. It was 100/s for 5 s; the longer
    // warm-up did not make the first step's CPU per event fall (B2 1% at 250/s: 7,583 µs
    // before, 7,551 and 7,652 after, 2026-12-07).
    warmupRate: positive('warmup-rate', values['warmup-rate'], quick ? 100 : 250),
    warmupS: positive('warmup-s', values['warmup-s'], quick ? 2 : 15),
    // Measured 2026-12-07: with 15 s, the broker's JIT compiler threads used 622 of its 1,476
    // µs per event in B2's first step (1% @250/s), 76 in the same step of the next set.
    platformWarmupS: positive('platform-warmup-s', values['platform-warmup-s'], quick ? 2 : 60),
    b2Rates,
    b2DurationS: positive('b2-duration', values['b2-duration'], quick ? 5 : 20),
    b2Samplings: [0.01, 1],
    defaultsRate: positive('defaults-rate', values['defaults-rate'], quick ? 100 : 200),
    b1Sampling: 0.01,
    b3Reps: positive('b3-reps', values['b3-reps'], quick ? 1 : 2),
    b4: quick
      ? { orders: 300, rate: 10, lightRate: 2, seconds: 5 }
      : { orders: 3_000, rate: 20, lightRate: 2, seconds: 20 },
    portOffset: positive('port-offset', values['port-offset'], 14_000),
    keepStack: values['keep-stack'] ?? false,
    cpuProf: values['cpu-prof'] ?? false,
    renderOnly: values['render-only'] ?? false,
    outDir: values['out-dir'] ?? 'docs',
  };
}
