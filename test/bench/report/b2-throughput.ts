import { warmUpSeconds, type BenchContext } from './bench-context';
import { API_LATENCIES_MS, CONSUMER_ENV, TARGETS } from './bench-settings';
import { failedAttemptsNote, runFanoutLoad, warmUp } from './fanout-load';
import type { FanoutLoadResult } from './fanout-load';
import { note, phase } from './progress';
import { setupRecord } from './setup-record';
import type { SetupRecord } from './setup-record';
import type { ServiceTuning } from './fanout-services';
import type { SetProfile } from './service-sets';

export interface B2Step extends FanoutLoadResult {
  /** Every accepted POST fully fanned out, no errors, and the last one done within the tail bound. */
  keptUp: boolean;
  whyNot: string[];
}

export interface B2Sampling {
  sampling: number;
  /** \`bench\` (bench-settings.ts) or \`defaults\` (npm start's catalog env). */
  tuning?: ServiceTuning;
  steps: B2Step[];
  /** The highest fan-out rate among steps that kept up; null when none did. */
  sustainedPerSecond: number | null;
  /** The highest fan-out rate measured in any step (a capacity estimate when behind). */
  peakPerSecond: number | null;
  services: Record<string, Record<string, string>>;
  /** Why the ladder stopped early, when a step failed outright. */
  error?: string;
}

export interface B2Report {
  benchmark: 'B2';
  title: string;
  quick: boolean;
  setup: SetupRecord;
  settings: Record<string, unknown>;
  samplings: B2Sampling[];
  /** One step with \`npm start\`'s own settings (catalog env: default log level, sampling, windows). */
  npmStartDefaults?: B2Sampling;
}

/** The tail bound of a step that kept up: the last event fully fanned out this soon after its POST was due. */
export function tailBoundMs(durationS: number): number {
  return Math.max(3_000, durationS * 100);
}

function judge(step: FanoutLoadResult, durationS: number): { keptUp: boolean; whyNot: string[] } {
  const whyNot: string[] = [];
  const failed = Object.entries(step.statuses)
    .filter(([status]) => status !== '201')
    .reduce((n, [, count]) => n + count, 0);
  if (failed > 0) whyNot.push(`${failed} requests not accepted`);
  if (step.delivery.lost > 0) whyNot.push(`${step.delivery.lost} not fully delivered`);
  if (step.delivery.duplicated > 0) whyNot.push(`${step.delivery.duplicated} duplicated effects`);
  if (!step.drained) whyNot.push('did not drain within the bound');
  if (step.tailMs === null) whyNot.push('no fan-out timed');
  else if (step.tailMs > tailBoundMs(durationS))
    whyNot.push(`last event done ${(step.tailMs / 1000).toFixed(1)} s after its POST was due`);
  return { keptUp: whyNot.length === 0, whyNot };
}

/**
 * B2: sustained fan-out throughput. For each sampling ratio, the offered POST rate steps up
 * (open loop, fixed duration per step) until a step does not keep up; each step waits until
 * the four APIs are done, times every event from the call ledger and checks every accepted
 * POST against the sandbox's effects.
 */
export async function runB2(ctx: BenchContext): Promise<B2Report> {
  const { options } = ctx;
  const setup = setupRecord(ctx.root);
  const samplings: B2Sampling[] = [];
  for (const sampling of options.b2Samplings)
    samplings.push(
      await runLadder(ctx, { sampling, tuning: 'bench', priorities: true }, options.b2Rates),
    );
  // npm start's own settings: the catalog's env only (log level, sampling, windows as shipped).
  const npmStartDefaults = await runLadder(
    ctx,
    { sampling: 1, tuning: 'defaults', priorities: true },
    [options.defaultsRate],
  );
  return {
    benchmark: 'B2',
    title: 'Throughput: registrations per second from POST to all four APIs done',
    quick: options.quick,
    setup,
    settings: {
      method:
        'step the offered rate up (open loop, fixed seconds per step) until a step does not keep up; each step starts from an empty sandbox and waits until every API is done',
      offeredRates: options.b2Rates,
      secondsPerStep: options.b2DurationS,
      warmUp: `${options.warmupRate} req/s for ${options.warmupS} s after the services start, the run's first ${options.platformWarmupS} s when it started the broker (not measured)`,
      connections: 200,
      apiLatenciesMs: API_LATENCIES_MS,
      samplings: options.b2Samplings.map(
        (s) =>
          `OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=${s}, spans exported over OTLP/HTTP to the bench stack's Jaeger`,
      ),
      fanoutRate:
        'events fully fanned out per second = (timed events − 1) ÷ (last all-done − first all-done), from the call ledger',
      keptUp: `every request accepted (201), every accepted POST delivered to all four APIs exactly once (sandbox effects), and the last event fully fanned out within ${tailBoundMs(options.b2DurationS) / 1000} s after its POST was due: a backlog growing anywhere (POST, relay, consumers, APIs) shows as a longer tail`,
      sustained: 'the highest fan-out rate among steps that kept up',
      consumerEnv: CONSUMER_ENV,
      userEventsTopicPartitions: 6,
      npmStartDefaults: `one step at ${options.defaultsRate} req/s with the catalog env only (LOG_LEVEL, sampling and consumer windows as npm start ships them) and the bench's API key`,
      target: { eventsPerSecond: TARGETS.fanoutEventsPerSecond, sampling: TARGETS.fanoutSampling },
    },
    samplings,
    npmStartDefaults,
  };
}

/** One service set: warm up, then the offered rates stepped up until a step does not keep up. */
async function runLadder(
  ctx: BenchContext,
  profile: SetProfile,
  rates: readonly number[],
): Promise<B2Sampling> {
  const { options } = ctx;
  const { sampling } = profile;
  const label = profile.tuning === 'defaults' ? 'npm start defaults' : `${sampling * 100}%`;
  const set = await ctx.sets.ensure(profile);
  phase(`B2 ${label}: warm-up`);
  await warmUp({
    url: set.services.userServiceUrl,
    connections: 200,
    sandbox: set.sandbox,
    prefix: `b2-${profile.tuning}-${sampling}-warm-${Date.now().toString(36)}`,
    rate: options.warmupRate,
    seconds: warmUpSeconds(ctx),
  });
  const steps: B2Step[] = [];
  let error: string | undefined;
  for (const rate of rates) {
    phase(`B2 ${label}: ${rate} registrations/s for ${options.b2DurationS} s`);
    let result: FanoutLoadResult;
    try {
      result = await runFanoutLoad({
        label: `B2 ${label} @${rate}/s`,
        url: set.services.userServiceUrl,
        rate,
        durationS: options.b2DurationS,
        connections: 200,
        doneSource: 'ledger',
        sandbox: set.sandbox,
        reader: set.reader,
        drainTimeoutS: Math.min(240, options.b2DurationS * 6 + 60),
        prefix: `b2-${profile.tuning}-${sampling}-${rate}-${Date.now().toString(36)}`,
        processes: () => [...ctx.platformProcesses, ...set.services.processes()],
      });
    } catch (failure) {
      error = `${rate}/s step failed: ${(failure as Error).message}`;
      note(`✘ B2 ${error}`);
      set.clean = false;
      break;
    }
    const verdict = judge(result, options.b2DurationS);
    steps.push({ ...result, ...verdict });
    note(
      `${rate}/s offered: ${result.fanoutPerSecond ?? '-'} events/s fully fanned out · ${result.delivery.fullyDelivered}/${result.delivery.accepted} delivered · all-done p99 ${result.allDoneMs.p99} ms · ${result.cpu?.total.usPerEvent ?? '-'} µs CPU per event · ${verdict.keptUp ? 'kept up' : `fell behind (${verdict.whyNot.join('; ')})`}${failedAttemptsNote(result)}`,
    );
    if (!result.drained) set.clean = false;
    if (!verdict.keptUp) break;
  }
  const kept = steps.filter((s) => s.keptUp && s.fanoutPerSecond !== null);
  const measured = steps.map((s) => s.fanoutPerSecond).filter((r): r is number => r !== null);
  return {
    sampling,
    tuning: profile.tuning,
    steps,
    sustainedPerSecond: kept.length > 0 ? Math.max(...kept.map((s) => s.fanoutPerSecond!)) : null,
    peakPerSecond: measured.length > 0 ? Math.max(...measured) : null,
    services: set.services.settings,
    ...(error ? { error } : {}),
  };
}
