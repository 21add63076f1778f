import { loadavg } from 'node:os';
import { openLoopLoad } from '../domain/open-loop-load';
import type { OpenLoopResponse } from '../domain/open-loop-load';
import { API_LATENCIES_MS, FANOUT_APIS, REQUEST_HEADERS, registrationBody } from './bench-settings';
import type { FanoutApi } from './bench-settings';
import type { FanoutRecordReader } from './fanout-record-reader';
import { CpuMeter } from './process-cpu';
import type { CpuTable, MeteredProcess } from './process-cpu';
import { summarize } from './latency-summary';
import type { LatencySummary } from './latency-summary';
import { counter, note } from './progress';
import type { DeliveryCheck, SandboxAdmin } from './sandbox-admin';

/**
 * How "all four APIs done" is known: `ledger` (event-driven: the consumers' call ledger) or
 * `header` (in-request: the server's `x-apis-done-at`, when the last API answered).
 */
export type DoneSource = 'ledger' | 'header';

export interface FanoutLoadOptions {
  label: string;
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  doneSource: DoneSource;
  sandbox: SandboxAdmin;
  reader?: FanoutRecordReader;
  /** Bound of the wait for the four APIs to finish after the last answer. */
  drainTimeoutS: number;
  /** Unique email prefix. */
  prefix: string;
  /** Processes whose CPU time is measured over the load and the drain (the load generator is added). */
  processes?: () => readonly MeteredProcess[];
}

export interface FanoutLoadResult {
  label: string;
  offeredRate: number;
  durationS: number;
  connections: number;
  sent: number;
  statuses: Record<string, number>;
  /** Requests answered per second over the load (answers ÷ time to the last answer). */
  answeredPerSecond: number;
  /** From the scheduled send time to the answer (open loop: queueing included). */
  userFacingMs: LatencySummary;
  /** From the scheduled send time until the last of the four APIs was done. */
  allDoneMs: LatencySummary;
  perApiDoneMs: Partial<Record<FanoutApi, LatencySummary>>;
  doneSource: DoneSource;
  /** Events with a measured all-done time. */
  timed: number;
  /**
   * Fully fanned-out events per second: (timed − 1) ÷ (last all-done − first all-done).
   * When the pipeline keeps up this is the offered rate; when it falls behind, its capacity.
   */
  fanoutPerSecond: number | null;
  /** Last all-done time minus the last request's scheduled time, ms. */
  tailMs: number | null;
  drained: boolean;
  drainSeconds: number;
  delivery: DeliveryCheck;
  /** Successful calls beyond the first for one event and API (replays, redeliveries). */
  repeatedCalls: number;
  /** Accepted users whose event was published more than once. */
  republished: number;
  /** Up to five distinct answers that were not 201 (status and start of the body). */
  refusals: string[];
  ledger?: {
    records: number;
    /** Attempts that did not succeed, by `api outcome errorCode`. */
    failedAttempts: Record<string, number>;
    readSeconds: number;
    complete: boolean;
  };
  loadAverage: { before: number[]; after: number[] };
  startedAt: string;
  /** CPU per process from the first request until every API was done, per event fully fanned out. */
  cpu?: CpuTable;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A drain with no new effect at any API for this long is stuck, not slow. */
const STALL_MS = 60_000;

interface Accepted {
  userId: string;
  dueAt: number;
  apisDoneAt?: number;
}

function parseAccepted(response: OpenLoopResponse): Accepted | undefined {
  if (response.status !== 201) return undefined;
  try {
    const user = JSON.parse(response.body) as { id?: string };
    if (!user.id) return undefined;
    const header = response.headers['x-apis-done-at'];
    return {
      userId: user.id,
      dueAt: response.dueAt,
      ...(typeof header === 'string' ? { apisDoneAt: Number(header) } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Waits until each of the four APIs recorded at least `expected` effects (bounded). */
export async function waitForEffects(
  sandbox: SandboxAdmin,
  expected: number,
  timeoutS: number,
  label: string,
): Promise<{ drained: boolean; seconds: number }> {
  const started = Date.now();
  const bar = counter(`${label}: fanned out`, expected, 'events (min over the 4 APIs)');
  let lastTotal = -1;
  let lastChange = Date.now();
  try {
    while (Date.now() - started < timeoutS * 1000) {
      let counts: Record<FanoutApi, number>;
      try {
        counts = await sandbox.effectCounts();
      } catch (error) {
        note(`! ${label}: ${(error as Error).message}; still waiting`);
        await sleep(2_000);
        continue;
      }
      const least = Math.min(...FANOUT_APIS.map((api) => counts[api]));
      bar.update(least, Object.fromEntries(FANOUT_APIS.map((api) => [api, counts[api]])));
      if (least >= expected) return { drained: true, seconds: (Date.now() - started) / 1000 };
      const total = FANOUT_APIS.reduce((n, api) => n + counts[api], 0);
      if (total !== lastTotal) {
        lastTotal = total;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > STALL_MS) {
        note(
          `! ${label}: no new effect at any API for ${STALL_MS / 1000} s (${FANOUT_APIS.map((api) => `${api} ${counts[api]}`).join(', ')} of ${expected}); are the consumers consuming? See the service logs`,
        );
        break;
      }
      await sleep(500);
    }
    return { drained: false, seconds: (Date.now() - started) / 1000 };
  } finally {
    bar.stop();
  }
}

/** Unmeasured load (JIT, connections, prepared statements), then the fan-out is left to finish. */
export async function warmUp(
  options: Pick<FanoutLoadOptions, 'url' | 'connections' | 'sandbox' | 'prefix'> & {
    rate: number;
    seconds: number;
  },
): Promise<void> {
  await options.sandbox.resetWithLatencies(API_LATENCIES_MS);
  let accepted = 0;
  await openLoopLoad({
    url: options.url,
    rate: options.rate,
    durationS: options.seconds,
    connections: options.connections,
    path: '/users',
    headers: { ...REQUEST_HEADERS },
    body: (n) => registrationBody(options.prefix, n),
    onResponse: (r) => {
      if (r.status === 201) accepted += 1;
    },
  });
  await waitForEffects(options.sandbox, accepted, 120, 'warm-up');
}

/**
 * One measured open-loop load of POST /users: the sandbox starts empty with the issue's
 * latencies; each answer is timed from its scheduled send time; then the run waits until the
 * four APIs have an effect per accepted registration, reads when each was done, and checks
 * every accepted registration against the sandbox's effects record.
 */
export async function runFanoutLoad(options: FanoutLoadOptions): Promise<FanoutLoadResult> {
  const before = loadavg();
  const startedAt = new Date().toISOString();
  await options.sandbox.resetWithLatencies(API_LATENCIES_MS);
  const from = options.reader ? await options.reader.offsetsNow() : undefined;
  const accepted: Accepted[] = [];
  const refusals = new Set<string>();
  const total = Math.round(options.rate * options.durationS);
  const bar = counter(`${options.label}: answered`, total, 'requests');
  let answered = 0;
  const meter = options.processes ? new CpuMeter(options.processes()) : undefined;
  const loadStarted = performance.now();
  const load = await openLoopLoad({
    url: options.url,
    rate: options.rate,
    durationS: options.durationS,
    connections: options.connections,
    path: '/users',
    headers: { ...REQUEST_HEADERS },
    body: (n) => registrationBody(options.prefix, n),
    onResponse: (response) => {
      answered += 1;
      if (answered % 50 === 0) bar.update(answered);
      const ok = parseAccepted(response);
      if (ok) accepted.push(ok);
      else if (refusals.size < 5) refusals.add(`${response.status} ${response.body.slice(0, 200)}`);
    },
  });
  bar.update(answered);
  bar.stop();
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const drain = await waitForEffects(
    options.sandbox,
    accepted.length,
    options.drainTimeoutS,
    options.label,
  );
  meter?.finish();
  if (!drain.drained)
    note(`! ${options.label}: not every API was done within ${options.drainTimeoutS} s`);

  const acceptedIds = new Set(accepted.map((a) => a.userId));
  const doneAt = new Map<string, number>();
  const perApi: Partial<Record<FanoutApi, number[]>> = {};
  let repeatedCalls = 0;
  let republished = 0;
  let ledger: FanoutLoadResult['ledger'];
  if (options.doneSource === 'ledger') {
    if (!options.reader || !from) throw new Error('ledger timing needs a record reader');
    const readBar = counter(`${options.label}: reading the call ledger`, accepted.length, 'events');
    const collected = await options.reader
      .collect(from, acceptedIds, {
        timeoutMs: drain.drained ? 120_000 : 30_000,
        onProgress: (n) => readBar.update(n),
      })
      .finally(() => readBar.stop());
    republished = collected.republished;
    ledger = {
      records: collected.ledgerRecords,
      failedAttempts: collected.failedAttempts,
      readSeconds: collected.readSeconds,
      complete: collected.complete,
    };
    const dueOf = new Map(accepted.map((a) => [a.userId, a.dueAt]));
    for (const timing of collected.byUser.values()) {
      const due = dueOf.get(timing.userId)!;
      for (const api of FANOUT_APIS) {
        const at = timing.doneAt[api];
        if (at !== undefined) (perApi[api] ??= []).push(at - due);
        repeatedCalls += Math.max(0, (timing.successfulCalls[api] ?? 0) - 1);
      }
      if (FANOUT_APIS.every((api) => timing.doneAt[api] !== undefined))
        doneAt.set(timing.userId, Math.max(...FANOUT_APIS.map((api) => timing.doneAt[api]!)));
    }
  } else {
    for (const a of accepted) if (a.apisDoneAt !== undefined) doneAt.set(a.userId, a.apisDoneAt);
  }
  const delivery = await options.sandbox.checkDeliveries(acceptedIds);

  const allDone: number[] = [];
  for (const a of accepted) {
    const at = doneAt.get(a.userId);
    if (at !== undefined) allDone.push(at - a.dueAt);
  }
  const doneTimes = [...doneAt.values()].sort((a, b) => a - b);
  const lastDue = accepted.reduce((m, a) => Math.max(m, a.dueAt), 0);
  const fanoutPerSecond =
    doneTimes.length > 1
      ? Math.round(((doneTimes.length - 1) / (doneTimes.at(-1)! - doneTimes[0]!)) * 1000)
      : null;
  return {
    label: options.label,
    offeredRate: options.rate,
    durationS: options.durationS,
    connections: options.connections,
    sent: load.sent,
    statuses: load.statuses,
    answeredPerSecond: Math.round(load.latenciesMs.length / loadSeconds),
    userFacingMs: summarize(load.latenciesMs),
    allDoneMs: summarize(allDone),
    perApiDoneMs: Object.fromEntries(
      Object.entries(perApi).map(([api, values]) => [api, summarize(values)]),
    ),
    doneSource: options.doneSource,
    timed: doneTimes.length,
    fanoutPerSecond,
    tailMs: doneTimes.length > 0 ? Math.round(doneTimes.at(-1)! - lastDue) : null,
    drained: drain.drained,
    drainSeconds: Math.round(drain.seconds * 10) / 10,
    delivery,
    repeatedCalls,
    republished,
    refusals: [...refusals],
    ...(ledger ? { ledger } : {}),
    loadAverage: {
      before: before.map((l) => Math.round(l * 100) / 100),
      after: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    startedAt,
    ...(meter ? { cpu: meter.table(delivery.fullyDelivered) } : {}),
  };
}

const failedKinds = (result: Pick<FanoutLoadResult, 'ledger'>): [string, number][] =>
  Object.entries(result.ledger?.failedAttempts ?? {}).sort((a, b) => b[1] - a[1]);

/** The ledger's failed attempts of a run as one progress-line fragment ('' when none). */
export function failedAttemptsNote(result: Pick<FanoutLoadResult, 'ledger'>): string {
  const failed = failedKinds(result);
  if (failed.length === 0) return '';
  return ` · failed attempts: ${failed.map(([what, n]) => `${what} ×${n}`).join(', ')}`;
}

/**
 * The ledger's failed attempts for a report cell: the total and the two commonest kinds
 * (`0` when every attempt succeeded, `–` for a run measured without the ledger).
 */
export function failedAttemptsCell(result: Pick<FanoutLoadResult, 'ledger'>): string {
  if (!result.ledger?.failedAttempts) return '–';
  const failed = failedKinds(result);
  const total = failed.reduce((n, [, count]) => n + count, 0);
  if (total === 0) return '0';
  const top = failed.slice(0, 2).map(([what, n]) => `${what} ${n.toLocaleString('en-US')}`);
  return `${total.toLocaleString('en-US')} (${top.join(', ')}${failed.length > 2 ? ', …' : ''})`;
}
