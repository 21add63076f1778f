// CPU per downstream call of sandbox-apis (issue 15): starts the service as the catalog does
// (`node --import tsx services/sandbox-apis/src/main.ts`, SANDBOX_API_KEYS from
// deploy/local/src/services.ts), drives a bounded number of calls shaped like the four
// registration consumers' (email, crm, analytics bulk, search bulk) with undici at a fixed
// concurrency and zero latency, and divides the sandbox's CPU (user+system from /proc) by calls.
//
//   npm run bench:sandbox -- --calls 20000 --concurrency 64 --log-level info --sampling 0.01
//
// Options: --calls N, --concurrency N, --runs N, --batch N (items per bulk call), --log-level L,
// --sampling R (parentbased_traceidratio: R of the calls carry a sampled traceparent),
// --port P (default 8000), --cpu-prof DIR (profile the sandbox; keep it out of the repo), --json.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { serviceCatalog } from '@fanout/local-platform';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
    sampling: { type: 'string', default: '0.01' },
    port: { type: 'string', default: '8000' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const CALLS = Number(args.calls);
const CONCURRENCY = Number(args.concurrency);
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const SAMPLING = Number(args.sampling);
const PORT = Number(args.port);
const LOG_LEVEL = args['log-level']!;
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLK_TCK = 100; // getconf CLK_TCK on Linux

/** user+system CPU of a process in µs, from /proc/<pid>/stat (fields 14 and 15). */
function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

/** Threads of the child: `node` itself (tsx runs its loader in the same process tree). */
function childPids(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return kids ? kids.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

function treeCpuUs(pid: number): number {
  return procCpuUs(pid) + childPids(pid).reduce((sum, p) => sum + treeCpuUs(p), 0);
}

interface Call {
  api: string;
  method: 'POST' | 'PUT';
  path: string;
  body: string;
}

/** The n-th call of the mix: the four registration consumers' request shapes, in turn. */
function makeCall(run: string, n: number): Call {
  const user = `usr_${run}_${Math.floor(n / 4)}`;
  const occurredAt = new Date(1_750_000_000_000 + n).toISOString();
  switch (n % 4) {
    case 0:
      return {
        api: 'email',
        method: 'POST',
        path: '/email/v1/messages',
        body: JSON.stringify({
          to: `${user}@bench.example`,
          template: 'welcome',
          reference: user,
          variables: { name: `Bench User ${n}`, locale: 'en-GB' },
          tags: ['welcome'],
        }),
      };
    case 1:
      return {
        api: 'crm',
        method: 'PUT',
        path: `/crm/v1/contacts/${user}`,
        body: JSON.stringify({
          email: `${user}@bench.example`,
          name: `Bench User ${n}`,
          locale: 'en-GB',
          marketing_consent: n % 2 === 0,
        }),
      };
    case 2:
      return {
        api: 'analytics',
        method: 'POST',
        path: '/analytics/v1/batch',
        body: JSON.stringify({
          batch: Array.from({ length: BATCH }, (_, i) => ({
            event: 'User Registered',
            user_id: `${user}_${i}`,
            timestamp: occurredAt,
            properties: { locale: 'en-GB', marketing_consent: true },
            idempotency_key: `user.registered:${user}_${i}:analytics.userRegistered`,
          })),
        }),
      };
    default:
      return {
        api: 'search',
        method: 'POST',
        path: '/search/v1/bulk',
        body: JSON.stringify({
          operations: Array.from({ length: BATCH }, (_, i) => ({
            action: 'upsert',
            id: `user:${user}_${i}`,
            index: 'users',
            document: {
              user_id: `${user}_${i}`,
              name: `Bench User ${n}`,
              locale: 'en-GB',
              registered_at: occurredAt,
            },
            idempotency_key: `user.registered:${user}_${i}:search.upsertUser`,
          })),
        }),
      };
  }
}

function traceparent(sampled: boolean): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${sampled ? '01' : '00'}`;
}

/** A stand-in OTLP collector: answers 200 to every export, so spans leave as they would. */
async function startCollector(): Promise<{ url: string; close(): void; requests: number }> {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests += 1;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => server.close(),
    get requests() {
      return state.requests;
    },
  };
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface RunResult {
  run: number;
  calls: number;
  statuses: Record<string, number>;
  wallMs: number;
  sandboxCpuUs: number;
  sandboxUsPerCall: number;
  clientUsPerCall: number;
  callsPerSecond: number;
  load: { before: number[]; after: number[] };
}

async function oneRun(run: number, collectorUrl: string): Promise<RunResult> {
  const spec = serviceCatalog.find((s) => s.name === 'sandbox-apis')!;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...spec.env({ portOffset: PORT - spec.port } as never),
    PORT: String(PORT),
    LOG_LEVEL,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(SAMPLING),
    OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  };
  const profArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [];
  const child = spawn(
    process.execPath,
    [...profArgs, '--import', 'tsx', join('services', 'sandbox-apis', 'src', 'main.ts')],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let logBytes = 0;
  child.stdout.on('data', (chunk: Buffer) => (logBytes += chunk.length));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${PORT}`;
  try {
    await waitReady(`${base}/readyz`, 60_000);
    const pool = new Pool(base, { connections: CONCURRENCY, pipelining: 1 });
    const keyOf = (api: string) => `local-dev-${api}-key`;
    const runId = `${process.pid}r${run}${Date.now().toString(36)}`;
    const calls = Array.from({ length: CALLS }, (_, n) => makeCall(runId, n));
    // Warm-up (JIT, first connections): 1,000 calls of another run id, not measured.
    const warm = Array.from({ length: 1000 }, (_, n) => makeCall(`${runId}w`, n));
    const statuses: Record<string, number> = {};
    const drive = async (list: Call[], count: boolean) => {
      let next = 0;
      const worker = async () => {
        while (next < list.length) {
          const n = next++;
          const call = list[n]!;
          const res = await pool.request({
            path: call.path,
            method: call.method,
            body: call.body,
            headers: {
              accept: 'application/json',
              'user-agent': 'fanout-sandbox-bench',
              'content-type': 'application/json',
              authorization: `Bearer ${keyOf(call.api)}`,
              'idempotency-key': `bench:${runId}:${count ? '' : 'w'}${n}`,
              traceparent: traceparent(Math.random() < SAMPLING),
            },
          });
          await res.body.text();
          if (count) statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };
    await drive(warm, false);
    await new Promise((r) => setTimeout(r, 500));
    const loadBefore = loadavg();
    const cpu0 = treeCpuUs(child.pid!);
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    await drive(calls, true);
    const wallMs = performance.now() - t0;
    const client = process.cpuUsage(client0);
    const cpu = treeCpuUs(child.pid!) - cpu0;
    const loadAfter = loadavg();
    await pool.close();
    return {
      run,
      calls: CALLS,
      statuses,
      wallMs: Math.round(wallMs),
      sandboxCpuUs: Math.round(cpu),
      sandboxUsPerCall: Math.round((cpu / CALLS) * 10) / 10,
      clientUsPerCall: Math.round(((client.user + client.system) / CALLS) * 10) / 10,
      callsPerSecond: Math.round(CALLS / (wallMs / 1000)),
      load: {
        before: loadBefore.map((l) => Math.round(l * 100) / 100),
        after: loadAfter.map((l) => Math.round(l * 100) / 100),
      },
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
    if (logBytes > 0 && !args.json) console.log(`  (sandbox stdout: ${logBytes} bytes of logs)`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const pkg = (name: string) =>
  (
    JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

const setup = {
  machine: `${osType()} ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  fastify: pkg('fastify'),
  undici: pkg('undici'),
  calls: CALLS,
  concurrency: CONCURRENCY,
  bulkItemsPerCall: BATCH,
  logLevel: LOG_LEVEL,
  sampling: `parentbased_traceidratio ${SAMPLING}`,
  payloadBytes: Object.fromEntries(
    [0, 1, 2, 3].map((i) => {
      const c = makeCall('x', i);
      return [c.api, Buffer.byteLength(c.body)];
    }),
  ),
};

const collector = await startCollector();
const results: RunResult[] = [];
try {
  if (!args.json) console.log(JSON.stringify(setup));
  for (let run = 1; run <= RUNS; run++) {
    const result = await oneRun(run, collector.url);
    results.push(result);
    if (!args.json) console.log(JSON.stringify(result));
  }
} finally {
  collector.close();
}
const summary = {
  setup,
  runs: results,
  median: {
    sandboxUsPerCall: median(results.map((r) => r.sandboxUsPerCall)),
    clientUsPerCall: median(results.map((r) => r.clientUsPerCall)),
    callsPerSecond: median(results.map((r) => r.callsPerSecond)),
  },
  otlpExports: collector.requests,
};
console.log(JSON.stringify(args.json ? summary : summary.median));
