// Benchmark (not a test): start-up time (spawn → first 200 on /readyz, or /healthz), CPU time and resident memory of a
// service run from source through tsx versus compiled (`npm run build`, plain node), for the
// services that become ready without Kafka. Prints a Markdown table for docs/build.md.
//
//   npm run build && npm run bench:startup -- [--reps=N]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const argValue = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const REPS = Number(argValue('reps') ?? 5);
const PORT = 4980;
// Nothing listens there: user-service is ready without Kafka (its publisher retries).
const unreachable = {
  KAFKA_BROKERS: '127.0.0.1:1',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7',
};
// Without Kafka, user-service's /readyz waits on kafkajs' first connection retries and
// order-service's on its customer view: both are measured to /healthz (HTTP up, start-up done).
const services: Record<string, { probe: '/readyz' | '/healthz'; env: Record<string, string> }> = {
  'sandbox-apis': { probe: '/readyz', env: { SANDBOX_API_KEYS: 'email=local-dev-email-key' } },
  'user-service': { probe: '/healthz', env: { ...unreachable, API_KEYS: 'local-dev-key' } },
  'order-service': {
    probe: '/healthz',
    env: {
      ...unreachable,
      API_KEYS: 'local-dev-key',
      USER_SERVICE_URL: 'http://127.0.0.1:1',
      USER_SERVICE_API_KEY: 'local-dev-key',
    },
  },
};

type Mode = 'tsx' | 'compiled';

function args(mode: Mode, name: string): string[] {
  return mode === 'tsx'
    ? ['--import', 'tsx', join(root, 'services', name, 'src', 'main.ts')]
    : ['--enable-source-maps', join(root, 'dist', name, 'main.mjs')];
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/\d+/)?.[0] ?? NaN);
}

/** CPU time (user + system) the process has used: less sensitive to a busy machine than wall time. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function answers(probe: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${PORT}${probe}`, {
      signal: AbortSignal.timeout(500),
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function once(
  mode: Mode,
  name: string,
): Promise<{ readyMs: number; cpuMs: number; rssMiB: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fanout-startup-'));
  const started = performance.now();
  const child = spawn(process.execPath, args(mode, name), {
    cwd: root,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
      DATA_DIR: dataDir,
      ...services[name]!.env,
    },
  });
  try {
    const deadline = started + 60_000;
    while (!(await answers(services[name]!.probe))) {
      if (child.exitCode !== null) throw new Error(`${name} (${mode}) exited ${child.exitCode}`);
      if (performance.now() > deadline) throw new Error(`${name} (${mode}) not ready in 60 s`);
      await sleep(10);
    }
    const readyMs = performance.now() - started;
    const cpu = cpuMs(child.pid!);
    // Settled memory: a second after ready, when start-up garbage may have been collected.
    await sleep(1000);
    return { readyMs, cpuMs: cpu, rssMiB: rssKiB(child.pid!) / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
    );
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(join(root, 'dist'))) throw new Error('run `npm run build` first');
console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${REPS} reps, median; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  '| service | probe | mode | spawn → 200, ms: median (min–max) | CPU to 200, ms | RSS, MiB |',
);
console.log('| --- | --- | --- | ---: | ---: | ---: |');
for (const name of Object.keys(services)) {
  const results: Record<Mode, { readyMs: number[]; cpuMs: number[]; rssMiB: number[] }> = {
    tsx: { readyMs: [], cpuMs: [], rssMiB: [] },
    compiled: { readyMs: [], cpuMs: [], rssMiB: [] },
  };
  // Interleaved, so load from the shared machine falls on both modes alike.
  for (let rep = 0; rep < REPS; rep++)
    for (const mode of ['tsx', 'compiled'] as const) {
      const r = await once(mode, name);
      results[mode].readyMs.push(r.readyMs);
      results[mode].cpuMs.push(r.cpuMs);
      results[mode].rssMiB.push(r.rssMiB);
    }
  for (const mode of ['tsx', 'compiled'] as const)
    console.log(
      `| ${name} | ${services[name]!.probe} | ${mode} | ${median(results[mode].readyMs).toFixed(0)} (${Math.min(...results[mode].readyMs).toFixed(0)}–${Math.max(...results[mode].readyMs).toFixed(0)}) | ${median(results[mode].cpuMs).toFixed(0)} | ${median(results[mode].rssMiB).toFixed(1)} |`,
    );
}
