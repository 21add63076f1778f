import type { BenchContext } from './bench-context';
import { API_LATENCIES_MS, CONSUMER_ENV, TARGETS } from './bench-settings';
import { runFanoutLoad, warmUp } from './fanout-load';
import type { FanoutLoadResult } from './fanout-load';
import { note, phase } from './progress';
import { setupRecord } from './setup-record';
import type { SetupRecord } from './setup-record';

export interface B2Step extends FanoutLoadResult {
  /** Every accepted POST fully fanned out, no errors, and the last one done within the tail bound. */
  keptUp: boolean;
  whyNot: string[];
}

export interface B2Sampling {
  sampling: number;
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
  for (const sampling of options.b2Samplings) {
    const set = await ctx.sets.ensure(sampling);
    phase(`B2 sampling ${sampling * 100}%: warm-up`);
    await warmUp({
      url: set.services.userServiceUrl,
      connections: 200,
      sandbox: set.sandbox,
      prefix: `b2-${sampling}-warm-${Date.now().toString(36)}`,
      rate: options.warmupRate,
      seconds: options.warmupS,
    });
    const steps: B2Step[] = [];
    let error: string | undefined;
    for (const rate of options.b2Rates) {
      phase(`B2 sampling ${sampling * 100}%: ${rate} registrations/s for ${options.b2DurationS} s`);
      let result: FanoutLoadResult;
      try {
        result = await runFanoutLoad({
          label: `B2 ${sampling * 100}% @${rate}/s`,
          url: set.services.userServiceUrl,
          rate,
          durationS: options.b2DurationS,
          connections: 200,
          doneSource: 'ledger',
          sandbox: set.sandbox,
          reader: set.reader,
          drainTimeoutS: Math.min(240, options.b2DurationS * 6 + 60),
          prefix: `b2-${sampling}-${rate}-${Date.now().toString(36)}`,
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
        `${rate}/s offered: ${result.fanoutPerSecond ?? '-'} events/s fully fanned out · ${result.delivery.fullyDelivered}/${result.delivery.accepted} delivered · all-done p99 ${result.allDoneMs.p99} ms · ${verdict.keptUp ? 'kept up' : `fell behind (${verdict.whyNot.join('; ')})`}`,
      );
      if (!result.drained) set.clean = false;
      if (!verdict.keptUp) break;
    }
    const kept = steps.filter((s) => s.keptUp && s.fanoutPerSecond !== null);
    const rates = steps.map((s) => s.fanoutPerSecond).filter((r): r is number => r !== null);
    samplings.push({
      sampling,
      steps,
      sustainedPerSecond: kept.length > 0 ? Math.max(...kept.map((s) => s.fanoutPerSecond!)) : null,
      peakPerSecond: rates.length > 0 ? Math.max(...rates) : null,
      services: set.services.settings,
      ...(error ? { error } : {}),
    });
  }
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
      warmUp: `${options.warmupRate} req/s for ${options.warmupS} s after the services start (not measured)`,
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
      target: { eventsPerSecond: TARGETS.fanoutEventsPerSecond, sampling: TARGETS.fanoutSampling },
    },
    samplings,
  };
}
