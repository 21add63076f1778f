import { join } from 'node:path';
import { createServer } from 'node:net';
import { warmUpSeconds, type BenchContext } from './bench-context';
import {
  API_LATENCIES_MS,
  CONSUMER_ENV,
  FANOUT_APIS,
  TARGETS,
  registrationBody,
} from './bench-settings';
import { failedAttemptsNote, runFanoutLoad, warmUp } from './fanout-load';
import type { FanoutLoadResult } from './fanout-load';
import { note, phase } from './progress';
import { USER_EVENTS_PARTITIONS } from './service-sets';
import type { ServiceSet } from './service-sets';
import { setupRecord } from './setup-record';
import type { SetupRecord } from './setup-record';
import type { TrackedChild } from './child-processes';

export type B1ApproachId = 'sequential' | 'parallel' | 'event-driven' | 'event-driven-flat';

export interface B1Approach {
  id: B1ApproachId;
  name: string;
  how: string;
  /** Absent when the approach failed (see `error`). */
  result?: FanoutLoadResult;
  error?: string;
}

export interface B1Report {
  benchmark: 'B1';
  title: string;
  quick: boolean;
  setup: SetupRecord;
  settings: Record<string, unknown>;
  services: Record<string, Record<string, string>>;
  approaches: B1Approach[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Starts the in-request server (sequential or Promise.all) and waits until it listens. */
async function startInline(
  ctx: BenchContext,
  mode: 'sequential' | 'parallel',
  apiTargets: Record<string, { url: string; key: string }>,
): Promise<{ tracked: TrackedChild; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const api of FANOUT_APIS) {
    env[`${api.toUpperCase()}_API_URL`] = apiTargets[api]!.url;
    env[`${api.toUpperCase()}_API_KEY`] = apiTargets[api]!.key;
  }
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const tracked = ctx.children.spawn(
    `inline-${mode}`,
    process.execPath,
    [
      '--import',
      'tsx',
      'test/bench/report/inline-fanout-main.ts',
      '--port',
      String(port),
      '--db',
      join(ctx.workDir, `inline-${mode}-${Date.now()}.db`),
      '--mode',
      mode,
    ],
    {
      cwd: ctx.root,
      env,
      onLine: (line) => {
        if (line.includes('listening')) listening();
      },
    },
  );
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    tracked.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000)),
  ]);
  if (outcome !== 'ready') {
    await ctx.children.stop(tracked, 5_000);
    throw new Error(
      `the in-request ${mode} server ${outcome === 'exited' ? 'exited' : 'did not listen within 60 s'} (see ${tracked.logFile}):\n${tracked.tail()}`,
    );
  }
  return { tracked, url: `http://127.0.0.1:${port}` };
}

const APPROACHES: ReadonlyArray<{ id: B1ApproachId; name: string; how: string }> = [
  {
    id: 'sequential',
    name: 'sequential calls in the request',
    how: 'POST /users stores the user (SQLite), then calls email, CRM, analytics and search one after another, answers 201 after the last',
  },
  {
    id: 'parallel',
    name: 'Promise.all in the request',
    how: 'POST /users stores the user (SQLite), then calls the four APIs at once (Promise.all), answers 201 when all four answered',
  },
  {
    id: 'event-driven',
    name: 'Fanout (event-driven)',
    how: 'POST /users on user-service (user + outbox row in one SQLite transaction, 201), relay → Kafka (Avro, registry) → the four consumer services → the four APIs; consumers and the sandbox niced by role (rolePriority), as `npm start` runs them',
  },
  {
    id: 'event-driven-flat',
    name: 'Fanout, all at one priority',
    how: 'the same services with no priority by role: consumers and the sandbox compete with user-service for the cores on equal terms',
  },
];

/**
 * B1: the same registration told to the same four sandbox APIs (same latencies, same client
 * requests) three ways, each under the same open-loop rate.
 */
export async function runB1(ctx: BenchContext): Promise<B1Report> {
  const { options } = ctx;
  const setup = setupRecord(ctx.root);
  const approaches: B1Approach[] = [];
  const eventDriven = (id: B1ApproachId) => id === 'event-driven' || id === 'event-driven-flat';
  const connectionsFor = (id: B1ApproachId) =>
    eventDriven(id) ? 100 : Math.max(100, Math.ceil(options.rate));
  let services: Record<string, Record<string, string>> = {};
  for (const approach of APPROACHES) {
    phase(`B1 ${approach.name}: warm-up, then ${options.rate} req/s for ${options.durationS} s`);
    let inline: { tracked: TrackedChild; url: string } | undefined;
    let set: ServiceSet | undefined;
    try {
      set = await ctx.sets.ensure({
        sampling: options.b1Sampling,
        tuning: 'bench',
        priorities: approach.id !== 'event-driven-flat',
      });
      const active = set;
      if (approach.id === 'event-driven') services = active.services.settings;
      let url = active.services.userServiceUrl;
      if (!eventDriven(approach.id)) {
        inline = await startInline(ctx, approach.id, set.services.apiTargets);
        url = inline.url;
      }
      const prefix = `b1-${approach.id}-${Date.now().toString(36)}`;
      await warmUp({
        url,
        connections: connectionsFor(approach.id),
        sandbox: set.sandbox,
        prefix: `${prefix}-warm`,
        rate: options.warmupRate,
        seconds: warmUpSeconds(ctx),
      });
      const result = await runFanoutLoad({
        label: `B1 ${approach.id}`,
        url,
        rate: options.rate,
        durationS: options.durationS,
        connections: connectionsFor(approach.id),
        doneSource: eventDriven(approach.id) ? 'ledger' : 'header',
        sandbox: set.sandbox,
        ...(eventDriven(approach.id) ? { reader: set.reader } : {}),
        drainTimeoutS: 180,
        prefix,
        processes: () => [
          ...ctx.platformProcesses,
          ...active.services
            .processes()
            .filter((p) => eventDriven(approach.id) || p.name === 'sandbox-apis'),
          ...(inline?.tracked.child.pid
            ? [
                {
                  name: `in-request server (${approach.id})`,
                  kind: 'in-request' as const,
                  pid: inline.tracked.child.pid,
                },
              ]
            : []),
        ],
      });
      if (!result.drained) set.clean = false;
      if (result.cpu)
        note(
          `${approach.id}: ${result.cpu.total.usPerEvent ?? '-'} µs CPU per event in all (${result.cpu.rows.map((r) => `${r.process} ${r.usPerEvent ?? '-'}`).join(', ')})`,
        );
      note(
        `${approach.id}: user-facing p50/p95/p99 ${result.userFacingMs.p50}/${result.userFacingMs.p95}/${result.userFacingMs.p99} ms · all APIs done p99 ${result.allDoneMs.p99} ms · ${result.delivery.fullyDelivered}/${result.delivery.accepted} fully delivered, ${result.delivery.duplicated} duplicated${failedAttemptsNote(result)}`,
      );
      approaches.push({ ...approach, result });
    } catch (error) {
      if (set) set.clean = false;
      note(`✘ B1 ${approach.id} failed: ${(error as Error).message}`);
      approaches.push({ ...approach, error: (error as Error).message });
    } finally {
      if (inline) await ctx.children.stop(inline.tracked, 10_000);
    }
  }
  return {
    benchmark: 'B1',
    title: 'Fan-out latency: four APIs told about a registration, three ways',
    quick: options.quick,
    setup,
    settings: {
      offeredRate: options.rate,
      measuredSeconds: options.durationS,
      warmUp: `${options.warmupRate} req/s for ${options.warmupS} s before each approach, the run's first ${options.platformWarmupS} s when it started the broker (not measured)`,
      load: "open loop (constant arrival, undici Pool); latency from each request's scheduled send time, so queueing counts (no coordinated omission)",
      connections: Object.fromEntries(APPROACHES.map((a) => [a.id, connectionsFor(a.id)])),
      apiLatenciesMs: API_LATENCIES_MS,
      apiLatencyHow:
        'sandbox-apis admin faults API, PATCH /_admin/faults {api: {latency: {type: fixed, ms}}}, after POST /_admin/reset',
      payloadBytes: Buffer.byteLength(registrationBody('b1-event-driven-xxxxxxxx', 12_345)),
      sampling: `${options.b1Sampling * 100}% (parentbased_traceidratio) on every service of the event-driven path; the in-request servers have no tracing SDK`,
      inRequestClient:
        '@fanout/downstream clients (same requests and idempotency keys as the consumers; analytics track and search upsert one call each, no batching), bulkhead 1024 per API',
      consumerEnv: CONSUMER_ENV,
      userEventsTopicPartitions: USER_EVENTS_PARTITIONS,
      allDoneHow: {
        'in-request':
          "x-apis-done-at header: the server's clock when the last API answered, minus the scheduled send time",
        'event-driven':
          'the call ledger (fanout.audit.api-calls): per API, the first SUCCESS attempt naming the event, startedAt + latencyMs; the latest of the four, minus the scheduled send time of the POST',
      },
      deliveryCheck:
        'every accepted POST (201) must have exactly one effect at each of the four APIs (sandbox effects record)',
      targets: {
        userFacingP99Ms: TARGETS.userFacingP99Ms,
        atRate: TARGETS.userFacingRate,
        allDoneP99Ms: TARGETS.allDoneP99Ms,
      },
    },
    services,
    approaches,
  };
}
