// `npm run bench:console`: the console's events page with 100,000 call-ledger records in its
// SQLite view. The view is filled through the console's own write path (projectRecord → apply,
// 500 records per transaction, as the Kafka reader does), then the pages are asked over real
// HTTP (loopback, the console's Fastify app with its API-key check) one request at a time.
// Not a timed test: it prints the setup and the numbers for docs/console-benchmark.md.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { createHttpServer } from '@fanout/service-kit';
import { createLogger } from '@fanout/telemetry';
import { ConsoleView, consoleRoutes, projectRecord } from '@fanout/console/in-process';
import type { ConsoleRecord, ViewChange } from '@fanout/console/in-process';
import { percentile } from '../user-service/percentile';

const LEDGER_RECORDS = Number(process.env.BENCH_LEDGER_RECORDS ?? 100_000);
const APIS = ['email', 'crm', 'analytics', 'search'] as const;
const EVENTS = Math.ceil(LEDGER_RECORDS / APIS.length);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const BUDGET_MS = 300;
const API_KEY = 'bench-console-key-0001';

const hex = (n: number) => randomUUID().replace(/-/g, '').slice(0, n);
const loadBefore = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'console-bench-'));
const view = new ConsoleView(join(dir, 'console-view.sqlite'));

// 1. Fill the view: EVENTS domain events, each with one ledger attempt per API (1 in 50 with a
//    failed attempt first, 1 in 200 dead-lettered at the CRM instead), all through projectRecord.
const samples: { orderId: string; userId: string; traceId: string; eventId: string }[] = [];
const start = Date.now() - EVENTS * 10;
let ledger = 0;
let offset = 0;
const fillStarted = performance.now();
let batch: ViewChange[] = [];
const flush = () => {
  view.apply(batch, [
    { topic: 'fanout.audit.api-calls', partition: 0, nextOffset: String(offset) },
  ]);
  batch = [];
};
const rec = (
  topic: string,
  headers: Record<string, string>,
  at: number,
  key: string,
): ConsoleRecord => ({
  topic,
  partition: 0,
  offset: String(offset++),
  key,
  value: null,
  headers,
  timestamp: at,
});
for (let i = 0; i < EVENTS; i++) {
  const eventId = randomUUID();
  const traceId = hex(32);
  const orderId = randomUUID();
  const userId = randomUUID();
  const at = start + i * 10;
  const order = i % 2 === 0;
  batch.push(
    ...projectRecord(
      rec(
        order ? 'fanout.order.events' : 'fanout.user.events',
        { 'messaging.message.id': eventId, traceparent: `00-${traceId}-${hex(16)}-01` },
        at,
        order ? orderId : userId,
      ),
      'domain',
      {
        eventType: order ? 'fanout.order.OrderConfirmed' : 'fanout.user.UserRegistered',
        value: order
          ? {
              metadata: { eventId, occurredAt: new Date(at), correlationId: eventId },
              orderId,
              customerId: userId,
              totalMinor: 1999,
            }
          : {
              metadata: { eventId, occurredAt: new Date(at), correlationId: eventId },
              userId,
              email: 'x@example.com',
              name: 'X',
            },
      },
    ),
  );
  for (const api of APIS) {
    if (ledger >= LEDGER_RECORDS) break;
    const dead = api === 'crm' && i % 200 === 7;
    const retried = !dead && i % 50 === 3;
    const outcome = dead ? 'FAILED' : retried && ledger % 2 === 0 ? 'RETRY' : 'SUCCESS';
    ledger += 1;
    batch.push(
      ...projectRecord(
        rec('fanout.audit.api-calls', {}, at + 40, order ? orderId : userId),
        'ledger',
        {
          eventType: 'fanout.audit.ApiCallAttempted',
          value: {
            metadata: { eventId: randomUUID(), occurredAt: new Date(at + 40) },
            service: `${api}-consumer`,
            api,
            operation: 'call',
            idempotencyKey: `${api}:${eventId}`,
            eventIds: [eventId],
            subject: order ? orderId : userId,
            status: outcome === 'SUCCESS' ? 200 : 500,
            outcome,
            errorCode: outcome === 'SUCCESS' ? null : 'FANOUT_API_SERVER_ERROR',
            latencyMs: 20 + (i % 30),
            attempt: 1,
            traceId,
            startedAt: new Date(at + 20),
          },
        },
      ),
    );
    if (dead)
      batch.push(
        ...projectRecord(
          rec(
            'crm-consumer.dlq',
            {
              'messaging.message.id': eventId,
              'fanout.consumer_group': 'crm-consumer',
              'fanout.original.topic': order ? 'fanout.order.events' : 'fanout.user.events',
              'fanout.dead_letter.reason': 'retries-exhausted',
              'fanout.error.code': 'FANOUT_API_SERVER_ERROR',
            },
            at + 100,
            order ? orderId : userId,
          ),
          'dead-letter',
        ),
      );
  }
  if (i % 997 === 0) samples.push({ orderId, userId, traceId, eventId });
  if (batch.length >= 500) flush();
}
flush();
const fillMs = performance.now() - fillStarted;

// 2. The console's HTTP app over the view (the pages measured here read the view only).
const logger = createLogger({ name: 'console-bench', level: 'warn' });
const { app } = await createHttpServer({
  logger,
  apiKeys: [API_KEY],
  rateLimit: { max: 1_000_000, timeWindowMs: 1_000 },
});
const unused = () => {
  throw new Error('not used by the pages measured');
};
await consoleRoutes(app, {
  view,
  codec: { decode: unused },
  jaeger: { trace: async () => undefined } as never,
  replayer: { replay: unused } as never,
  health: { snapshot: unused } as never,
  feed: { stats: { topics: 0, recordsRead: 0, lastBatchAt: null } },
  apis: APIS,
  apiKeys: [API_KEY],
});
const base = await app.listen({ port: 0, host: '127.0.0.1' });

async function measure(label: string, path: (i: number) => string) {
  const times: number[] = [];
  let bytes = 0;
  let rows = 0;
  for (let i = 0; i < REQUESTS + 10; i++) {
    const t0 = performance.now();
    const r = await request(`${base}${path(i)}`, { headers: { 'x-api-key': API_KEY } });
    const body = await r.body.text();
    const ms = performance.now() - t0;
    if (r.statusCode !== 200)
      throw new Error(`${path(i)} answered ${r.statusCode}: ${body.slice(0, 200)}`);
    if (i >= 10) {
      times.push(ms);
      bytes += body.length;
      rows += (body.match(/<tr data-event-id=/g) ?? []).length;
    }
  }
  times.sort((a, b) => a - b);
  return {
    page: label,
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
    max: times[times.length - 1]!,
    rowsPerPage: rows / times.length,
    kbPerPage: bytes / times.length / 1024,
  };
}

const pick = (i: number) => samples[i % samples.length]!;
const results = [
  await measure('/events (latest 50)', () => '/events'),
  await measure(
    '/events?before=… (a page deep in history)',
    (i) => `/events?before=${start + ((i * 7919) % EVENTS) * 10}`,
  ),
  await measure('/events?q=<order id>', (i) => `/events?q=${pick(i).orderId}`),
  await measure('/events?q=<user id>', (i) => `/events?q=${pick(i).userId}`),
  await measure('/events?q=<trace id>', (i) => `/events?q=${pick(i).traceId}`),
  await measure('/events?q=<event id>', (i) => `/events?q=${pick(i).eventId}`),
  await measure('/dead-letters', () => '/dead-letters'),
];
await app.close();
const counts = view.db
  .prepare(
    'SELECT (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM attempts) AS attempts, (SELECT COUNT(*) FROM dead_letters) AS deadLetters',
  )
  .get() as { events: number; attempts: number; deadLetters: number };
view.close();
rmSync(dir, { recursive: true, force: true });

const fmt = (n: number) => n.toFixed(1);
console.log(
  JSON.stringify(
    {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
        os: `${platform()} ${release()} ${arch()}`,
      },
      versions: { node: process.version, sqlite: 'better-sqlite3 12.4.1', fastify: '5.6.1' },
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
      view: {
        ...counts,
        ledgerRecords: ledger,
        fillMs: Math.round(fillMs),
        ledgerRecordsPerSecond: Math.round(ledger / (fillMs / 1000)),
      },
      requestsPerPage: REQUESTS,
    },
    null,
    2,
  ),
);
console.log(
  '\n| page | p50 ms | p95 ms | p99 ms | max ms | rows | KiB |\n| --- | --- | --- | --- | --- | --- | --- |',
);
for (const r of results)
  console.log(
    `| ${r.page} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.rowsPerPage.toFixed(0)} | ${fmt(r.kbPerPage)} |`,
  );
const worst = Math.max(...results.map((r) => r.p99));
console.log(
  `\nbudget: every page within ${BUDGET_MS} ms at p99: ${worst <= BUDGET_MS ? 'met' : 'NOT met'} (worst p99 ${fmt(worst)} ms)`,
);
