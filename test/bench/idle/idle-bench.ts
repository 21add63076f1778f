// Benchmark (not a test): what the whole `npm start` topology costs while nothing happens.
// Starts the platform and every service compiled (profile `idle`, port offset 22000), lets
// start-up settle, then reads each process's CPU time (user + system, /proc) over a quiet
// window, once per CONSUMER_FETCH_IDLE_WAIT_MS value given. Prints a Markdown table.
//
//   npm run build && npm run bench:idle -- [--waits=25,500] [--settle=20] [--window=30]
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { platformStatus, startPlatform, stopPlatform, versions } from '@fanout/local-platform';
import { processCpuSeconds } from '../report/process-cpu';

const argValue = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const WAITS = (argValue('waits') ?? '25,500').split(',').map(Number);
const SETTLE_S = Number(argValue('settle') ?? 20);
const WINDOW_S = Number(argValue('window') ?? 30);
const STACK = { profile: 'idle', portOffset: 22000 } as const;
const quiet = () => undefined;

interface Run {
  waitMs: number;
  load: number[];
  rows: { name: string; msPerSecond: number }[];
}

async function once(waitMs: number): Promise<Run> {
  process.env.CONSUMER_FETCH_IDLE_WAIT_MS = String(waitMs);
  await startPlatform({ ...STACK, services: true, compiled: true, log: quiet });
  try {
    await sleep(SETTLE_S * 1_000);
    const status = await platformStatus(STACK);
    const processes = [...status.components, ...status.services].filter(
      (c): c is typeof c & { pid: number } => c.pid !== undefined,
    );
    const before = new Map(processes.map((p) => [p.name, processCpuSeconds(p.pid) ?? 0]));
    const started = performance.now();
    await sleep(WINDOW_S * 1_000);
    const seconds = (performance.now() - started) / 1_000;
    const rows = processes.map((p) => ({
      name: p.name,
      msPerSecond: (((processCpuSeconds(p.pid) ?? 0) - before.get(p.name)!) * 1_000) / seconds,
    }));
    return { waitMs, load: loadavg(), rows };
  } finally {
    await stopPlatform({ ...STACK, log: quiet });
  }
}

const runs: Run[] = [];
for (const wait of WAITS) {
  console.error(`idle window with CONSUMER_FETCH_IDLE_WAIT_MS=${wait} …`);
  runs.push(await once(wait));
}
const names = runs[0]!.rows.map((r) => r.name);
const total = (run: Run) => run.rows.reduce((sum, r) => sum + r.msPerSecond, 0);
console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}; Kafka ${versions.kafka}. ` +
    `Compiled services, catalog env (npm start's), no traffic; ${SETTLE_S} s settle, then ${WINDOW_S} s window.`,
);
console.log(
  `Load averages at the end of each window: ${runs.map((r) => `${r.waitMs} ms: ${r.load.map((l) => l.toFixed(2)).join(' / ')}`).join('; ')}.\n`,
);
console.log(`| process | ${runs.map((r) => `CPU ms/s, idle wait ${r.waitMs} ms`).join(' | ')} |`);
console.log(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
for (const name of names)
  console.log(
    `| ${name} | ${runs.map((r) => (r.rows.find((x) => x.name === name)?.msPerSecond ?? NaN).toFixed(1)).join(' | ')} |`,
  );
console.log(`| **total** | ${runs.map((r) => `**${total(r).toFixed(1)}**`).join(' | ')} |`);
