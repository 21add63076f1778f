// Benchmark (not a test): CPU per call of the downstream client path a consumer runs for each
// event (CrmApi.upsertContact through DownstreamClient: bulkhead, breaker, undici Pool, JSON,
// schema check, attempt report to the metrics hook and the call ledger), against a minimal HTTP
// server in a child process that answers 201 at once. Only this process's CPU is counted.
//
//   node --import tsx test/bench/consumers/client-overhead.ts [--calls=N] [--reps=N]
//     [--concurrency=N] [--sampling=<ratio>]
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { CrmApi, DownstreamClient, Secret, idempotencyKey } from '@fanout/downstream';
import { runInCallScope } from '@fanout/consumer-kit';
import { startSampledTelemetry } from '../sampled-telemetry';

const argValue = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

if (process.argv.includes('--serve')) {
  // The API: a raw socket server with one canned answer, so it costs as little as possible.
  const body = JSON.stringify({ id: 'c_1', external_id: 'u-1', email: 'a@example.com' });
  const answer = Buffer.from(
    `HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nkeep-alive: timeout=60\r\n\r\n${body}`,
  );
  const server = createServer((socket) => {
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.slice(end + 4 + length);
        socket.write(answer);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send!((server.address() as { port: number }).port);
  });
} else {
  const CALLS = Number(argValue('calls') ?? 20_000);
  const REPS = Number(argValue('reps') ?? 5);
  const CONCURRENCY = Number(argValue('concurrency') ?? 32);
  const sampling = argValue('sampling');
  const telemetry = startSampledTelemetry('client-overhead-bench', sampling);
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], {
    execArgv: ['--import', 'tsx'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (p) => resolve(p as number)),
  );
  let recorded = 0;
  const client = new DownstreamClient({
    api: 'crm',
    baseUrl: `http://127.0.0.1:${port}/crm`,
    credential: new Secret('sk_bench'),
    bulkhead: { maxConcurrent: CONCURRENCY },
    onAttempt: () => undefined,
    ledger: { record: () => void (recorded += 1) },
  });
  const crm = new CrmApi(client);
  async function run(calls: number): Promise<number> {
    let next = 0;
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < calls) {
          next += 1;
          const eventId = randomUUID();
          await runInCallScope({ eventIds: [eventId], subject: 'u', correlationId: eventId }, () =>
            crm.upsertContact(
              `u-${next}`,
              { email: 'a@example.com', name: 'Ada', locale: 'en-GB', marketing_consent: false },
              idempotencyKey(eventId, 'crm.upsertContact'),
            ),
          );
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / calls;
  }
  await run(5_000);
  const runs: number[] = [];
  for (let rep = 0; rep < REPS; rep += 1) runs.push(await run(CALLS));
  await client.close();
  child.kill();
  await telemetry?.shutdown();
  const sorted = [...runs].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      benchmark: 'downstream client CPU per call (client process only)',
      calls: CALLS,
      reps: REPS,
      concurrency: CONCURRENCY,
      sampling: sampling ?? 'no SDK',
      ledgerRecords: recorded,
      cpuMicrosPerCall: {
        median: Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(1)),
        min: Number(sorted[0]!.toFixed(1)),
        runs: runs.map((v) => Number(v.toFixed(1))),
      },
    }),
  );
  process.exit(0);
}
