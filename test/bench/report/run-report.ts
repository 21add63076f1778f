// `npm run bench`: the benchmark report of issue 8. Starts its own platform (profile "bench"),
// runs B1 fan-out latency, B2 throughput, B3 runtime vs plain kafkajs and B4 sagas, writes
// docs/bench-results/*.json, docs/charts/*.svg and docs/benchmarks.md. See README.md here.
//
//   npm run bench [-- --quick] [-- --only=B1,B2] [-- --render-only] [-- --help]
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { buildServices, platformStatus, startPlatform, stopPlatform } from '@fanout/local-platform';
import { runB1 } from './b1-fanout-latency';
import { runB2 } from './b2-throughput';
import { runB3 } from './b3-runtime';
import { runB4 } from './b4-saga';
import type { BenchContext } from './bench-context';
import { ChildProcesses } from './child-processes';
import { note, phase } from './progress';
import { RESULT_FILES, readReports, targetLines, writeReportDocument } from './report-document';
import { parseReportOptions } from './report-options';
import type { BenchmarkId } from './report-options';
import { ServiceSets } from './service-sets';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const options = parseReportOptions(process.argv.slice(2));
const outDir = resolve(root, options.outDir);
const resultsDir = join(outDir, 'bench-results');
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 60_000).toFixed(1)} min`;

async function render(): Promise<void> {
  const file = await writeReportDocument(outDir, readReports(resultsDir), root);
  phase(`wrote ${file} and its charts`);
  for (const line of targetLines(readReports(resultsDir)))
    note(`${line.verdict.padEnd(12)} ${line.target}: ${line.measured}`);
}

if (options.renderOnly) {
  await render();
  process.exit(0);
}

const stack = { profile: 'bench', portOffset: options.portOffset };
const runId = new Date().toISOString().replace(/[:.]/g, '-');
const workDir = join(root, '.fanout', 'bench', runId);
const children = new ChildProcesses(join(workDir, 'logs'));
let ownsPlatform = false;
let sets: ServiceSets | undefined;
let cleaning: Promise<void> | undefined;

/** Keeps the newest `keep` run directories (their logs) under .fanout/bench. */
function pruneOldRuns(dir: string, keep: number): void {
  const runs = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const name of runs.slice(0, Math.max(0, runs.length - keep)))
    rmSync(join(dir, name), { recursive: true, force: true });
}

/** Stops every process this run started, the platform too unless it was running before. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    try {
      await sets?.stop();
    } catch (error) {
      note(`! stopping services: ${(error as Error).message}`);
    }
    await children.stopAll(15_000);
    if (ownsPlatform && !options.keepStack) {
      phase('stopping the bench platform');
      await stopPlatform({ ...stack, log: (line) => note(line) }).catch((error: Error) =>
        note(`! stopPlatform: ${error.message}`),
      );
    }
    // Keep the logs (named in error messages), drop the data: SQLite files, dedupe stores.
    for (const entry of readdirSync(workDir, { withFileTypes: true }))
      if (entry.name !== 'logs')
        rmSync(join(workDir, entry.name), { recursive: true, force: true });
    pruneOldRuns(join(root, '.fanout', 'bench'), 5);
  })();
  return cleaning;
}

process.on('exit', () => children.killAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${signal}: stopping everything this run started…\n`);
    const hardExit = setTimeout(() => process.exit(130), 60_000);
    hardExit.unref();
    void cleanup().finally(() => process.exit(130));
  });
}

const failures: string[] = [];
try {
  phase(
    `npm run bench${options.quick ? ' --quick' : ''}: ${options.only.join(', ')} · platform profile "bench", port offset ${options.portOffset}`,
  );
  const before = await platformStatus(stack).catch(() => undefined);
  ownsPlatform = !before?.healthy;
  if (!ownsPlatform)
    note('the bench platform is already running: reusing it (and leaving it running)');
  const platform = await startPlatform({ ...stack, log: (line) => note(line.trim()) });
  // The fan-out services run compiled, as `npm start` and the images run them.
  phase('building the services (npm run build)');
  await buildServices(root);
  const kafka = new Kafka({
    clientId: 'bench-report',
    brokers: platform.endpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  sets = new ServiceSets({
    root,
    children,
    kafka,
    endpoints: platform.endpoints,
    portOffset: platform.topology.portOffset,
    workDir,
    ...(options.cpuProf ? { cpuProfDir: join(workDir, 'logs', 'profiles') } : {}),
  });
  const status = await platformStatus(stack);
  const platformProcesses = status.components
    .filter((c) => c.pid !== undefined)
    .map((c) => ({ name: c.name, kind: 'platform' as const, pid: c.pid! }));
  const unmetered = status.components.filter((c) => c.pid === undefined).map((c) => c.name);
  if (unmetered.length > 0)
    note(
      `! ${unmetered.join(', ')}: started outside this run's profile, so their CPU is not in the tables`,
    );
  const ctx: BenchContext = {
    root,
    options,
    children,
    sets,
    workDir,
    platformEnv: platform.env,
    platformProcesses,
    platformWarm: !ownsPlatform,
  };
  mkdirSync(resultsDir, { recursive: true });
  // B3 and B4 need only the platform: they run first, before the fan-out services start.
  const runners: Array<[BenchmarkId, () => Promise<unknown>]> = [
    ['B3', () => runB3(ctx)],
    ['B4', () => runB4(ctx)],
    ['B1', () => runB1(ctx)],
    ['B2', () => runB2(ctx)],
  ];
  for (const [id, run] of runners) {
    if (!options.only.includes(id)) continue;
    try {
      const t0 = Date.now();
      const report = {
        ...((await run()) as object),
        wallSeconds: Math.round((Date.now() - t0) / 1000),
      };
      writeFileSync(join(resultsDir, RESULT_FILES[id]), `${JSON.stringify(report, null, 2)}\n`);
      note(
        `${id} done (${elapsed()} so far); wrote ${options.outDir}/bench-results/${RESULT_FILES[id]}`,
      );
    } catch (error) {
      failures.push(`${id}: ${(error as Error).message}`);
      note(`✘ ${id} failed: ${(error as Error).message}`);
    }
  }
} catch (error) {
  failures.push((error as Error).message);
  note(`✘ ${(error as Error).message}`);
} finally {
  await cleanup();
}
await render();
phase(
  `finished in ${elapsed()}${failures.length > 0 ? ` with ${failures.length} failure(s)` : ''}; service logs in ${join('.fanout', 'bench', runId, 'logs')}`,
);
for (const failure of failures) note(`✘ ${failure.split('\n')[0]}`);
process.exit(failures.length > 0 ? 1 : 0);
