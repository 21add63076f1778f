import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { B1Report } from './b1-fanout-latency';
import type { B2Report, B2Sampling, B2Step } from './b2-throughput';
import type { CpuTable } from './process-cpu';

/** The issue's CPU targets, µs per event fully fanned out (four API calls per event). */
export const CPU_TARGETS_US: ReadonlyArray<{ match: RegExp; target: number; note: string }> = [
  { match: /^user-service$/, target: 150, note: '≤ 150 per accepted request' },
  { match: /-consumer$/, target: 110, note: '≤ 80 + its API call (~30)' },
  { match: /^sandbox-apis$/, target: 160, note: '≤ 40 per call, 4 calls' },
  { match: /^kafka/, target: 100, note: '≤ 100' },
];
export const CPU_TOTAL_TARGET_US = 600;

export interface CpuColumn {
  label: string;
  cpu: CpuTable;
}

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: 0 });

function targetOf(process: string): string {
  const t = CPU_TARGETS_US.find((x) => x.match.test(process));
  return t ? t.note : '–';
}

/** One row per process across the columns, with the total and the targets. */
export function cpuTable(columns: readonly CpuColumn[]): string {
  const names: string[] = [];
  for (const c of columns)
    for (const r of c.cpu.rows) if (!names.includes(r.process)) names.push(r.process);
  const head = ['process', ...columns.map((c) => c.label), 'target µs'];
  const rows = names.map((name) => [
    name,
    ...columns.map((c) => {
      const r = c.cpu.rows.find((x) => x.process === name);
      if (!r) return '–';
      const jit = r.jitUsPerEvent ? `; JIT ${fmt(r.jitUsPerEvent)}` : '';
      return `${fmt(r.usPerEvent)} (${r.cores.toFixed(2)} cores${jit})`;
    }),
    targetOf(name),
  ]);
  rows.push([
    '**total**',
    ...columns.map(
      (c) => `**${fmt(c.cpu.total.usPerEvent)}** (${c.cpu.total.cores.toFixed(2)} cores)`,
    ),
    `≤ ${CPU_TOTAL_TARGET_US}`,
  ]);
  rows.push([
    'events fully fanned out / window s',
    ...columns.map((c) => `${fmt(c.cpu.events)} / ${c.cpu.wallSeconds}`),
    '',
  ]);
  const sep = head.map((_, i) => (i === 0 || i === head.length - 1 ? '---' : '---:'));
  return [head, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The highest step that kept up, else the last one measured, with its CPU table. */
export function representativeStep(s: B2Sampling | undefined): B2Step | undefined {
  if (!s) return undefined;
  const measured = s.steps.filter((st) => st.cpu);
  return [...measured].reverse().find((st) => st.keptUp) ?? measured.at(-1);
}

export function cpuColumns(b1: B1Report | undefined, b2: B2Report | undefined): CpuColumn[] {
  const columns: CpuColumn[] = [];
  for (const a of b1?.approaches ?? [])
    if (a.result?.cpu && a.id.startsWith('event-driven'))
      columns.push({ label: `B1 ${a.name} @${a.result.offeredRate}/s`, cpu: a.result.cpu });
  for (const s of b2?.samplings ?? []) {
    const step = representativeStep(s);
    if (step?.cpu)
      columns.push({
        label: `B2 ${s.sampling * 100}% @${step.offeredRate}/s${step.keptUp ? '' : ' (behind)'}`,
        cpu: step.cpu,
      });
  }
  const d = b2?.npmStartDefaults?.steps.at(-1);
  if (d?.cpu) columns.push({ label: `npm start defaults @${d.offeredRate}/s`, cpu: d.cpu });
  return columns;
}

/**
 * Before/after per process for B2 at the target's sampling: the step of the same offered
 * rate in both runs (the highest both measured).
 */
export function beforeAfterTable(
  before: B2Report | undefined,
  after: B2Report | undefined,
  sampling: number,
): string | undefined {
  const b = before?.samplings.find((s) => s.sampling === sampling);
  const a = after?.samplings.find((s) => s.sampling === sampling);
  if (!a || !b) return undefined;
  const rates = b.steps
    .filter((st) => st.cpu && a.steps.some((x) => x.offeredRate === st.offeredRate && x.cpu))
    .map((st) => st.offeredRate);
  if (rates.length === 0) return undefined;
  const rate = Math.max(...rates);
  const bs = b.steps.find((st) => st.offeredRate === rate)!;
  const as = a.steps.find((st) => st.offeredRate === rate)!;
  return `B2 at ${sampling * 100}% sampling, ${rate} registrations/s offered (before: commit \`${before!.setup.git.commit.slice(0, 12)}\`, ${before!.setup.measuredAt}; after: commit \`${after!.setup.git.commit.slice(0, 12)}\`, ${after!.setup.measuredAt}; same machine):\n\n${cpuTable(
    [
      { label: 'before µs/event', cpu: bs.cpu! },
      { label: 'after µs/event', cpu: as.cpu! },
    ],
  )}\n\nFan-out: before ${fmt(bs.fanoutPerSecond)} events/s, all done p99 ${fmt(bs.allDoneMs.p99)} ms, POST p99 ${fmt(bs.userFacingMs.p99)} ms; after ${fmt(as.fanoutPerSecond)} events/s, all done p99 ${fmt(as.allDoneMs.p99)} ms, POST p99 ${fmt(as.userFacingMs.p99)} ms. Highest sustained: before ${fmt(b.sustainedPerSecond)}, after ${fmt(a.sustainedPerSecond)} events/s.`;
}

export function cpuSection(
  b1: B1Report | undefined,
  b2: B2Report | undefined,
  beforeB2: B2Report | undefined,
  samplingForTarget: number,
): string {
  const columns = cpuColumns(b1, b2);
  if (columns.length === 0) return '';
  const how = columns[0]!.cpu.how;
  const compare = beforeAfterTable(beforeB2, b2, samplingForTarget);
  return `## CPU per event, per process

µs of CPU per event fully fanned out to the four APIs, and the average cores each process used over the window. "JIT" is the part of a JVM's figure its JIT compiler threads used (at least): the bench starts the broker fresh, and a fresh JVM compiles for minutes, so the broker's first steps carry start-up cost that a long-running broker does not. This is the figure that stays steady on a noisy machine; throughput follows from it (two cores give 2,000,000 µs per second). How: ${how}.

${cpuTable(columns)}

${compare ? `### Before and after\n\n${compare}\n` : 'No earlier run in `bench-results/before/` to compare with.\n'}`;
}

export const BEFORE_DIR = 'before';
export const beforeFile = (resultsDir: string, file: string) => join(resultsDir, BEFORE_DIR, file);
export const hasBefore = (resultsDir: string, file: string) =>
  existsSync(beforeFile(resultsDir, file));
