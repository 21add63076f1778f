import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { B1Report } from './b1-fanout-latency';
import type { B2Report } from './b2-throughput';
import type { B3Report } from './b3-runtime';
import type { B4Report } from './b4-saga';
import type { FanoutLoadResult } from './fanout-load';
import { failedAttemptsCell } from './fanout-load';
import { API_LATENCIES_MS, TARGETS } from './bench-settings';
import type { LatencySummary } from './latency-summary';
import { barChartSvg } from './svg-bar-chart';
import { beforeFile, cpuSection } from './cpu-section';

export const RESULT_FILES = {
  B1: 'b1-fanout-latency.json',
  B2: 'b2-throughput.json',
  B3: 'b3-runtime.json',
  B4: 'b4-saga.json',
} as const;

export interface Reports {
  B1?: B1Report;
  B2?: B2Report;
  B3?: B3Report;
  B4?: B4Report;
}

type Verdict = 'MET' | 'NOT MET' | 'NOT MEASURED';

export interface TargetLine {
  target: string;
  measured: string;
  verdict: Verdict;
}

export function readReports(resultsDir: string): Reports {
  const reports: Reports = {};
  for (const [id, file] of Object.entries(RESULT_FILES)) {
    const path = join(resultsDir, file);
    if (existsSync(path))
      (reports as Record<string, unknown>)[id] = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  }
  return reports;
}

const fmt = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const ms = (value: number | null | undefined): string => fmt(value, 1);
const pct = (ratio: number): string => `${fmt(ratio * 100, 2)}%`;
const loadPair = (l: { before: number[]; after: number[] }): string =>
  `${l.before.map((v) => v.toFixed(1)).join(' / ')} → ${l.after.map((v) => v.toFixed(1)).join(' / ')}`;

function table(header: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The issue's three targets, judged from what was measured. */
export function targetLines(reports: Reports): TargetLine[] {
  const lines: TargetLine[] = [];
  const eventDriven = reports.B1?.approaches.find((a) => a.id === 'event-driven')?.result;
  const atRate = eventDriven?.offeredRate === TARGETS.userFacingRate;
  const b1Verdict = (ok: boolean): Verdict =>
    !eventDriven || !atRate ? 'NOT MEASURED' : ok ? 'MET' : 'NOT MET';
  lines.push({
    target: `user-facing p99 ≤ ${TARGETS.userFacingP99Ms} ms at ${TARGETS.userFacingRate} requests/s (Fanout, B1)`,
    measured: eventDriven
      ? `p99 ${ms(eventDriven.userFacingMs.p99)} ms at ${fmt(eventDriven.offeredRate)} req/s offered (${fmt(eventDriven.answeredPerSecond)}/s answered)`
      : 'B1 not run',
    verdict: b1Verdict((eventDriven?.userFacingMs.p99 ?? Infinity) <= TARGETS.userFacingP99Ms),
  });
  lines.push({
    target: `time until all four APIs are done, p99 ≤ slowest API + 100 ms = ${TARGETS.allDoneP99Ms} ms (Fanout, B1)`,
    measured: eventDriven
      ? `p99 ${ms(eventDriven.allDoneMs.p99)} ms (${fmt(eventDriven.timed)} of ${fmt(eventDriven.delivery.accepted)} events timed)`
      : 'B1 not run',
    verdict: b1Verdict(
      (eventDriven?.allDoneMs.p99 ?? Infinity) <= TARGETS.allDoneP99Ms &&
        eventDriven?.timed === eventDriven?.delivery.accepted,
    ),
  });
  const onePercent = reports.B2?.samplings.find((s) => s.sampling === TARGETS.fanoutSampling);
  lines.push({
    target: `≥ ${fmt(TARGETS.fanoutEventsPerSecond)} events/s fully fanned out to four APIs at ${pct(TARGETS.fanoutSampling)} sampling (B2)`,
    measured: onePercent
      ? `${onePercent.sustainedPerSecond === null ? 'no step kept up' : `${fmt(onePercent.sustainedPerSecond)} events/s sustained`}; peak ${fmt(onePercent.peakPerSecond)} events/s`
      : 'B2 not run',
    verdict: !onePercent
      ? 'NOT MEASURED'
      : (onePercent.sustainedPerSecond ?? 0) >= TARGETS.fanoutEventsPerSecond
        ? 'MET'
        : 'NOT MET',
  });
  return lines;
}

const summaryCells = (s: LatencySummary): string[] => [ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];

function setupSection(reports: Reports): string {
  const any = reports.B1 ?? reports.B2 ?? reports.B3 ?? reports.B4;
  if (!any) return '';
  const m = any.setup.machine;
  const rows: string[][] = [
    ['machine', `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}`],
    [
      'shared',
      'the broker, the registry, Jaeger, every service and the load generator all on the same two cores; whether other work shared them shows in the load averages recorded before and after each phase',
    ],
    [
      'versions',
      Object.entries(any.setup.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · '),
    ],
  ];
  for (const [id, report] of Object.entries(reports) as Array<
    [string, { setup: B1Report['setup']; quick: boolean }]
  >)
    rows.push([
      `${id} run`,
      `${report.setup.measuredAt}${(report as { wallSeconds?: number }).wallSeconds ? `, took ${fmt((report as { wallSeconds?: number }).wallSeconds! / 60, 1)} min` : ''} · commit \`${report.setup.git.commit.slice(0, 12)}\`${report.setup.git.dirtyFiles > 0 ? ` (+${report.setup.git.dirtyFiles} uncommitted files in the tree)` : ''}${report.quick ? ' · **--quick**' : ''}`,
    ]);
  return `## Setup\n\n${table(['', ''], rows)}\n`;
}

/** The settings the bench changes, as recorded from the services' environment. */
function envLine(services: Record<string, Record<string, string>>): string {
  const pick = (name: string, keys: string[]) =>
    keys
      .filter((k) => services[name]?.[k] !== undefined)
      .map((k) => `${k}=${services[name]![k]}`)
      .join(' ');
  return [
    `consumers \`${pick('crm-consumer', ['CONSUMER_CONCURRENCY', 'API_MAX_CONCURRENT', 'BATCH_MAX_SIZE', 'BATCH_LINGER_MS', 'DEDUPE_ENABLED'])}\``,
    `user-service \`${pick('user-service', ['RATE_LIMIT_MAX', 'RATE_LIMIT_WINDOW_MS', 'SQLITE_SYNCHRONOUS'])}\``,
    `all \`${pick('user-service', ['LOG_LEVEL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'])}\``,
  ].join(', ');
}

function refusalNotes(report: B1Report): string {
  const lines = report.approaches
    .filter((a) => (a.result?.refusals ?? []).length > 0)
    .map(
      (a) =>
        `- ${a.name}: ${a.result!.refusals.map((r) => `\`${r.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 160)}\``).join(', ')}`,
    );
  return lines.length > 0
    ? `Answers other than 201 (first distinct ones):\n\n${lines.join('\n')}\n\n`
    : '';
}

function b1Section(report: B1Report, chartDir: string): string {
  const s = report.settings as Record<string, unknown>;
  const rows = report.approaches.map((a) => {
    const r = a.result;
    if (!r)
      return [
        `**${a.name}**`,
        `failed: ${(a.error ?? '').split('\n')[0]!.slice(0, 200)}`,
        ...Array<string>(12).fill('–'),
      ];
    const notAccepted = Object.entries(r.statuses)
      .filter(([k]) => k !== '201')
      .map(([k, v]) => `${v}× ${k}`)
      .join(', ');
    return [
      `**${a.name}**`,
      fmt(r.offeredRate),
      fmt(r.answeredPerSecond),
      `${fmt(r.statuses['201'] ?? 0)}${notAccepted ? ` (${notAccepted})` : ''}`,
      ...summaryCells(r.userFacingMs),
      ...summaryCells(r.allDoneMs),
      `${fmt(r.delivery.fullyDelivered)} / ${fmt(r.delivery.lost)} / ${fmt(r.delivery.duplicated)}`,
      loadPair(r.loadAverage),
    ];
  });
  const eventDriven = report.approaches.find((a) => a.id === 'event-driven')?.result;
  const perApi = eventDriven
    ? table(
        ['API (fixed latency)', 'done p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        Object.entries(eventDriven.perApiDoneMs).map(([api, summary]) => [
          `${api} (${API_LATENCIES_MS[api as keyof typeof API_LATENCIES_MS]} ms)`,
          ...summaryCells(summary),
        ]),
        ['l', 'r', 'r', 'r', 'r'],
      )
    : '';
  const how = s.allDoneHow as Record<string, string>;
  return `## B1 · Fan-out latency

${report.title}. The same registration is told to the same four sandbox APIs (email ${API_LATENCIES_MS.email} ms, CRM ${API_LATENCIES_MS.crm} ms, analytics ${API_LATENCIES_MS.analytics} ms, search ${API_LATENCIES_MS.search} ms, fixed latencies set through the sandbox's admin faults API) three ways, each at ${fmt(s.offeredRate as number)} requests/s offered for ${s.measuredSeconds} s after a warm-up (${s.warmUp}).

${report.approaches.map((a) => `- **${a.name}**: ${a.how}.`).join('\n')}

${table(
  [
    'approach',
    'offered req/s',
    'answered req/s',
    'accepted (201)',
    'user-facing p50 ms',
    'p95',
    'p99',
    'max',
    'all APIs done p50 ms',
    'p95',
    'p99',
    'max',
    'delivered / lost / duplicated',
    'load avg 1/5/15 before → after',
  ],
  rows,
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
)}

![B1 user-facing latency](${chartDir}/b1-user-facing.svg)

![B1 time until all four APIs are done](${chartDir}/b1-all-apis-done.svg)

${refusalNotes(report)}${failedAttemptsLine(report)}${eventDriven ? `When each API was done with an event, Fanout path (from the POST's scheduled time):\n\n${perApi}\n` : ''}
How it is measured:

- Load: ${s.load}. Connections: ${Object.entries(s.connections as Record<string, number>)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}. Payload ${s.payloadBytes} bytes of JSON.
- User-facing latency counts every answer, accepted or not; all APIs done counts accepted registrations.
- All APIs done, in the request: ${how['in-request']}.
- All APIs done, Fanout: ${how['event-driven']}. The ledger is what the consumers record for every HTTP attempt; reading it after the load keeps the harness off the measured cores.
- Delivery: ${s.deliveryCheck}.
- Tracing: ${s.sampling}. In-request client: ${s.inRequestClient}.
- Services: ${envLine(report.services)}; user-events topic ${s.userEventsTopicPartitions ?? '–'} partitions.
`;
}

/** Failed API attempts of each Fanout approach, from its call ledger (none for in-request ones). */
function failedAttemptsLine(report: B1Report): string {
  const measured = report.approaches.filter((a) => a.result?.ledger?.failedAttempts);
  if (measured.length === 0) return '';
  return `Failed API attempts in the call ledger (retried or dead-lettered; the Fanout approaches): ${measured
    .map((a) => `${a.name} ${failedAttemptsCell(a.result!)}`)
    .join('; ')}.\n\n`;
}

function b2Section(report: B2Report, chartDir: string): string {
  const s = report.settings as Record<string, unknown>;
  const parts: string[] = [];
  for (const sampling of report.samplings) {
    parts.push(
      `### Sampling ${pct(sampling.sampling)}\n\n${table(
        [
          'offered /s',
          'answered /s',
          'accepted',
          'fully fanned out /s',
          'POST p99 ms',
          'all done p50 ms',
          'all done p99 ms',
          'tail s',
          'delivered / lost / duplicated',
          'failed API attempts (ledger)',
          'kept up',
          'load avg before → after',
        ],
        sampling.steps.map((step) => [
          fmt(step.offeredRate),
          fmt(step.answeredPerSecond),
          fmt(step.delivery.accepted),
          `**${fmt(step.fanoutPerSecond)}**`,
          ms(step.userFacingMs.p99),
          ms(step.allDoneMs.p50),
          ms(step.allDoneMs.p99),
          step.tailMs === null ? '–' : fmt(step.tailMs / 1000, 1),
          `${fmt(step.delivery.fullyDelivered)} / ${fmt(step.delivery.lost)} / ${fmt(step.delivery.duplicated)}`,
          failedAttemptsCell(step),
          step.keptUp ? 'yes' : `no: ${step.whyNot.join('; ')}`,
          loadPair(step.loadAverage),
        ]),
        ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l', 'l', 'l'],
      )}\n\nSustained: **${sampling.sustainedPerSecond === null ? 'no step kept up' : `${fmt(sampling.sustainedPerSecond)} events/s`}**; highest measured fan-out rate ${fmt(sampling.peakPerSecond)} events/s.${sampling.error ? ` Stopped early: ${sampling.error.split('\n')[0]}.` : ''}\n`,
    );
  }
  const d = report.npmStartDefaults;
  if (d)
    parts.push(
      `### npm start's own settings

${s.npmStartDefaults ?? ''}. ${d.steps
        .map(
          (step) =>
            `${fmt(step.offeredRate)}/s offered: ${fmt(step.fanoutPerSecond)} events/s fully fanned out, POST p99 ${ms(step.userFacingMs.p99)} ms, all done p99 ${ms(step.allDoneMs.p99)} ms, ${fmt(step.delivery.fullyDelivered)} / ${fmt(step.delivery.lost)} / ${fmt(step.delivery.duplicated)} delivered / lost / duplicated, failed API attempts ${failedAttemptsCell(step)}, ${step.keptUp ? 'kept up' : `fell behind (${step.whyNot.join('; ')})`}`,
        )
        .join(
          '; ',
        )}. Services: ${envLine(d.services)}.${d.error ? ` Failed: ${d.error.split('\n')[0]}.` : ''}
`,
    );
  const checked = [...report.samplings, ...(d ? [d] : [])].flatMap((x) => x.steps);
  const accepted = checked.reduce((n, st) => n + st.delivery.accepted, 0);
  const lost = checked.reduce((n, st) => n + st.delivery.lost, 0);
  const duplicated = checked.reduce((n, st) => n + st.delivery.duplicated, 0);
  return `## B2 · Throughput

${report.title}, with tracing sampled at ${report.samplings.map((x) => pct(x.sampling)).join(' and ')}. Method: ${s.method}; ${s.secondsPerStep} s per step, offered rates ${(s.offeredRates as number[]).map((r) => fmt(r)).join(', ')} /s (stopping at the first step that does not keep up). The API latencies are B1's.

${parts.join('\n')}
![B2 fan-out throughput](${chartDir}/b2-throughput.svg)

Delivery over every B2 step: ${fmt(accepted)} accepted registrations checked against the sandbox's effects record, ${fmt(lost)} lost, ${fmt(duplicated)} duplicated.

- Fully fanned out per second: ${s.fanoutRate}.
- Kept up: ${s.keptUp}.
- Tracing: ${(s.samplings as string[]).join('; ')}.
${report.samplings.map((x) => `- Services at ${pct(x.sampling)}: ${envLine(x.services)}.`).join('\n')}
`;
}

function b3Section(report: B3Report, chartDir: string): string {
  const rows = report.runtime.results.map((r) => {
    let target = '–';
    if (r.scenario === '20ms-1p') target = `≥ 50×: ${r.ratio >= 50 ? 'MET' : 'NOT MET'}`;
    else if (r.handlerMs === 0 && r.dedupe)
      target = `≥ 0.9×: ${r.ratio >= 0.9 ? 'MET' : 'NOT MET'}`;
    return [
      r.scenario,
      `${r.handlerMs} ms`,
      String(r.partitions),
      r.dedupe ? 'on' : 'off',
      fmt(r.medianPerSecond.plain),
      fmt(r.medianPerSecond.runtime),
      `**${fmt(r.ratio, 2)}×**`,
      target,
      `${r.orderViolations.plain} / ${r.orderViolations.runtime}`,
    ];
  });
  return `## B3 · Consumer runtime against plain kafkajs

${report.title}, re-run from \`test/bench/runtime\` (\`${report.settings.command}\`) against the bench stack. Targets are the runtime issue's.

${table(
  [
    'scenario',
    'handler',
    'partitions',
    'dedupe',
    'plain msg/s',
    'runtime msg/s',
    'ratio',
    'target',
    'order violations plain / runtime',
  ],
  rows,
  ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'l', 'l'],
)}

![B3 runtime / plain throughput ratio](${chartDir}/b3-runtime.svg)

Settings: ${Object.entries(report.runtime.settings)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')}. Load average ${loadPair(report.loadAverage)}.
`;
}

function b4Section(report: B4Report, chartDir: string): string {
  const rows = report.saga.results.map((r) => [
    r.name,
    fmt(r.sagas),
    fmt(r.completed),
    fmt(r.confirmed),
    fmt(r.duplicateTerminalEvents),
    `**${fmt(r.sagasPerSecond, 1)}**`,
    ms(r.durationMs.p50),
    ms(r.durationMs.p95),
    ms(r.durationMs.p99),
    ms(r.durationMs.max),
  ]);
  const cal = report.saga.brokerTransactionCalibration;
  return `## B4 · Sagas

${report.title}, re-run from \`test/bench/saga\` (\`${report.settings.command}\`) against the bench stack.

${table(
  [
    'scenario',
    'sagas',
    'completed',
    'confirmed',
    'duplicate terminal events',
    'sagas/s',
    'duration p50 ms',
    'p95',
    'p99',
    'max',
  ],
  rows,
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
)}

![B4 saga duration](${chartDir}/b4-saga.svg)

Broker calibration before the run (each saga input is applied in a transaction): one producer ${fmt(cal.producers1TxnPerSecond, 1)} transactions/s (${fmt(cal.producers1MsPerTxn, 1)} ms each), six at once ${fmt(cal.producers6TxnPerSecond, 1)}/s. Setup: ${Object.entries(
    report.saga.setup,
  )
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('; ')}. Load average ${loadPair(report.loadAverage)}.
`;
}

function charts(reports: Reports, dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (reports.B1) {
    const groups = reports.B1.approaches.map((a) => a.name);
    const series = (pick: (r: FanoutLoadResult) => LatencySummary) =>
      (['p50', 'p95', 'p99'] as const).map((p) => ({
        name: p,
        values: reports.B1!.approaches.map((a) => (a.result ? pick(a.result)[p] : null)),
      }));
    const rate = reports.B1.approaches.find((a) => a.result)?.result?.offeredRate ?? 0;
    writeFileSync(
      join(dir, 'b1-user-facing.svg'),
      barChartSvg({
        title: 'B1 · user-facing latency of POST /users',
        subtitle: `${fmt(rate)} requests/s offered, open loop; four APIs at 200/300/150/100 ms`,
        yLabel: 'ms',
        groups,
        series: series((r) => r.userFacingMs),
        scale: 'log',
        reference: {
          value: TARGETS.userFacingP99Ms,
          label: `target p99 ≤ ${TARGETS.userFacingP99Ms} ms`,
        },
        unit: ' ms',
      }),
    );
    writeFileSync(
      join(dir, 'b1-all-apis-done.svg'),
      barChartSvg({
        title: 'B1 · time until all four APIs are done',
        subtitle: `from the POST's scheduled send time; ${fmt(rate)} requests/s offered`,
        yLabel: 'ms',
        groups,
        series: series((r) => r.allDoneMs),
        reference: {
          value: TARGETS.allDoneP99Ms,
          label: `target p99 ≤ ${TARGETS.allDoneP99Ms} ms`,
        },
        unit: ' ms',
      }),
    );
  }
  if (reports.B2) {
    const rates = [
      ...new Set(reports.B2.samplings.flatMap((s) => s.steps.map((st) => st.offeredRate))),
    ].sort((a, b) => a - b);
    writeFileSync(
      join(dir, 'b2-throughput.svg'),
      barChartSvg({
        title: 'B2 · events fully fanned out to four APIs per second',
        subtitle:
          'per offered rate step; missing bars: the step was not run (an earlier one fell behind)',
        yLabel: 'events/s',
        groups: rates.map((r) => `${fmt(r)}/s offered`),
        series: reports.B2.samplings.map((s) => ({
          name: `sampling ${pct(s.sampling)}`,
          values: rates.map(
            (r) => s.steps.find((st) => st.offeredRate === r)?.fanoutPerSecond ?? null,
          ),
        })),
        reference: {
          value: TARGETS.fanoutEventsPerSecond,
          label: `target ≥ ${fmt(TARGETS.fanoutEventsPerSecond)}/s at 1%`,
        },
        unit: ' events/s',
      }),
    );
  }
  if (reports.B3) {
    writeFileSync(
      join(dir, 'b3-runtime.svg'),
      barChartSvg({
        title: 'B3 · consumer runtime throughput ÷ plain kafkajs eachMessage',
        subtitle: 'median of the repetitions; 1× = as fast as plain',
        yLabel: 'ratio (×)',
        groups: reports.B3.runtime.results.map((r) => r.scenario),
        series: [
          { name: 'runtime ÷ plain', values: reports.B3.runtime.results.map((r) => r.ratio) },
        ],
        scale: 'log',
        reference: { value: 1, label: '1×' },
        unit: '×',
      }),
    );
  }
  if (reports.B4) {
    const results = reports.B4.saga.results;
    writeFileSync(
      join(dir, 'b4-saga.svg'),
      barChartSvg({
        title: 'B4 · saga duration (OrderPlaced to terminal event)',
        subtitle:
          'throughput scenario: 0 ms participants, as fast as placed; duration scenarios: 200 ms ∥ 300 ms, then 150 ms',
        yLabel: 'ms',
        groups: results.map((r) => r.name.split(',')[0]!),
        series: (['p50', 'p95', 'p99'] as const).map((p) => ({
          name: p,
          values: results.map((r) => r.durationMs[p]),
        })),
        scale: 'log',
        unit: ' ms',
      }),
    );
  }
}

/** Writes the charts and docs/benchmarks.md (formatted as `npm run check:format` expects). */
export async function writeReportDocument(
  outDir: string,
  reports: Reports,
  root: string,
): Promise<string> {
  const chartDir = join(outDir, 'charts');
  charts(reports, chartDir);
  const chartLink = relative(outDir, chartDir) || '.';
  const quick = Object.values(reports).some((r: { quick: boolean }) => r.quick);
  const targets = targetLines(reports);
  const beforePath = beforeFile(join(outDir, 'bench-results'), RESULT_FILES.B2);
  const beforeB2 = existsSync(beforePath)
    ? (JSON.parse(readFileSync(beforePath, 'utf8')) as B2Report)
    : undefined;
  const sections = [
    cpuSection(reports.B1, reports.B2, beforeB2, TARGETS.fanoutSampling),
    reports.B1 ? b1Section(reports.B1, chartLink) : '## B1 · Fan-out latency\n\nNot run yet.\n',
    reports.B2 ? b2Section(reports.B2, chartLink) : '## B2 · Throughput\n\nNot run yet.\n',
    reports.B3 ? b3Section(reports.B3, chartLink) : '## B3 · Consumer runtime\n\nNot run yet.\n',
    reports.B4 ? b4Section(reports.B4, chartLink) : '## B4 · Sagas\n\nNot run yet.\n',
  ];
  const resultsLink = relative(outDir, join(outDir, 'bench-results'));
  const text = `# Benchmarks

Generated by \`npm run bench\` (\`test/bench/report\`) from the JSON in [${resultsLink}/](${resultsLink}/) (${Object.values(
    RESULT_FILES,
  )
    .map((f) => `[${f}](${resultsLink}/${f})`)
    .join(
      ', ',
    )}); rebuild it with \`npm run bench -- --render-only\`. Every figure below is a measurement of the run named in the setup; nothing is typed in by hand.
${quick ? '\n> **Quick run** (`--quick`): small counts for development, not a measurement to quote.\n' : ''}
## Targets

The issue's targets on this machine, with the broker and everything else on it:

${table(
  ['target', 'measured', 'verdict'],
  targets.map((t) => [t.target, t.measured, `**${t.verdict}**`]),
)}

${setupSection(reports)}
Services run as \`npm start\` runs them: compiled (\`node --enable-source-maps dist/<name>/main.mjs\`, built by the report at its start as \`npm run build\` builds it), with the environment of deploy/local's service catalog, against a platform of their own (profile \`bench\`); the step "npm start defaults" changes nothing but the API key and topic; the others change: the sampling named per benchmark (their default log level, info, stays: it logs no line per request or event), the consumers' concurrency windows and user-service's rate limit raised (see each JSON's \`services\` for every variable).

${sections.join('\n')}
## How to reproduce

\`\`\`sh
npm run bench                      # everything; writes this file (run times: the setup table)
npm run bench -- --quick           # small counts, a few minutes, for development
npm run bench -- --only=B1,B2      # some benchmarks; the others keep their last JSON
npm run bench -- --rate=500 --duration=30 --b2-rates=250,500,1000,2000,3000,4000 --b2-duration=20 --b3-reps=2
npm run bench -- --render-only     # rebuild this file and the charts from the JSON
\`\`\`

The harness provisions and starts its own platform (profile \`bench\`, every fixed port plus \`--port-offset\`, default 14000, so it never meets the test platform) and stops it at the end (\`--keep-stack\` leaves it running); service logs of the last runs stay in \`.fanout/bench/<run>/logs\`. The per-issue benchmarks still run alone: \`npm run bench:runtime\`, \`npm run bench:domain\`, \`npm run bench:consumers\`, \`npm run bench:saga\`.

On a shared machine the same code gives different numbers minute to minute: read each figure with the load average recorded beside it.
`;
  const file = join(outDir, 'benchmarks.md');
  const config = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(text, { ...config, parser: 'markdown' }));
  return relative(root, file);
}
