import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaSecurity } from '@fanout/messaging';
import { jaegerConfigYaml } from './jaeger-config';
import {
  brokerProcess,
  brokerProcessName,
  ensureKafka,
  restartBroker as restartOneBroker,
} from './kafka-cluster';
import {
  healthTopic,
  jaegerReady,
  kafkaBrokerCount,
  registryReady,
  setGlobalCompatibility,
  waitUntil,
} from './health-checks';
import { PlatformError } from './platform-error';
import { repoRoot } from './paths';
import { assertPortsFree } from './port-owner';
import { findJava } from './prerequisites';
import {
  isOurs,
  notOurs,
  logTail,
  signalManaged,
  spawnManaged,
  stopManaged,
  type ManagedProcess,
} from './process-supervisor';
import { formatElapsed, type LogSink } from './progress';
import { withProfileLock } from './profile-lock';
import { provision } from './provision';
import {
  clientEnv,
  clientSecurity,
  ensureSecureKafka,
  loadSecureKafka,
  requireSecureKafka,
  secureMechanism,
  type SecureKafka,
} from './secure-kafka';
import { defaultTimeouts, type RunContext, type Timeouts } from './run-context';
import { ensureServices, type ServiceOutcome } from './service-runner';
import { serviceCatalog } from './services';
import { loadState, saveState, stateFile, type StackState } from './stack-state';
import {
  compileTopology,
  componentPorts,
  endpointEnv,
  endpointsOf,
  type ComponentName,
  type StackEndpoints,
  type StackOptions,
  type Topology,
} from './topology';
import { minimumJava, versions } from './versions';

export interface StartOptions extends StackOptions {
  /** Also start the app services (`up --services`); a list starts only those. */
  services?: boolean | readonly string[];
  /** Run the services with plain node from `npm run build`'s output, not from source via tsx. */
  compiled?: boolean;
  log?: LogSink;
  timeouts?: Partial<Timeouts>;
}

/** How clients reach a secure stack's Kafka (`up --secure`). */
export interface PlatformSecurity {
  protocol: 'SASL_SSL';
  mechanism: typeof secureMechanism;
  username: string;
  /** `KAFKA_*` lines (and KAFKA_BROKERS) for a shell or a service: `set -a; . <envFile>`. */
  envFile: string;
  caFile: string;
  /** The `KAFKA_*` variables a service needs; the password is passed by file. */
  env: Record<string, string>;
  /** The same, ready for `createKafkaClient({ security })` (holds the password: never log). */
  kafka: KafkaSecurity;
}

function platformSecurity(material: SecureKafka, kafka: KafkaSecurity): PlatformSecurity {
  return {
    protocol: 'SASL_SSL',
    mechanism: secureMechanism,
    username: material.client.username,
    envFile: material.envFile,
    caFile: material.caFile,
    env: clientEnv(material),
    kafka,
  };
}

export interface RunningPlatform {
  topology: Topology;
  endpoints: StackEndpoints;
  /** FANOUT_* variables that point @fanout/test-platform at this stack. */
  env: Record<string, string>;
  /** Names of the processes this call started (empty when everything was already healthy). */
  started: string[];
  services: ServiceOutcome[];
  /** Set when the stack is secure: the credentials and CA clients need. */
  security?: PlatformSecurity;
}

/**
 * A profile remembers its broker count and port offset, so `status`/`down --profile x` find
 * a stack that `up --profile x --brokers 3 --port-offset 20000` started.
 */
export function resolveTopology(options: StackOptions = {}): Topology {
  const probe = compileTopology({ ...options, brokers: 1, portOffset: 0 });
  let recorded: StackState | undefined;
  if (existsSync(stateFile(probe))) {
    try {
      recorded = JSON.parse(readFileSync(stateFile(probe), 'utf8')) as StackState;
    } catch {
      recorded = undefined;
    }
  }
  return compileTopology({
    ...options,
    brokers: options.brokers ?? recorded?.brokers ?? 1,
    portOffset: options.portOffset ?? recorded?.portOffset ?? 0,
    secure: options.secure ?? recorded?.secure ?? false,
  });
}

function runningNames(state: StackState): string[] {
  return Object.values(state.processes)
    .filter((p) => isOurs(p))
    .map((p) => p.name);
}

const registryArgs = (topology: Topology, jar: string): string[] => [
  '-Xms256m',
  '-Xmx512m',
  `-Dquarkus.http.port=${topology.registry.port}`,
  '-Dquarkus.http.host=127.0.0.1',
  // The app is built with the management interface fixed on (`quarkus.management.enabled=false`
  // is ignored); unless moved, it listens on 0.0.0.0:9000.
  `-Dquarkus.management.port=${topology.registry.managementPort}`,
  '-Dquarkus.management.host=127.0.0.1',
  // Schema ids are global ids, as in the lead's verified setup and the docker-compose env.
  '-Dapicurio.ccompat.legacy-id-mode.enabled=true',
  '-jar',
  jar,
];

function unhealthy(component: string, proc: ManagedProcess, error: unknown): PlatformError {
  return new PlatformError(
    'FANOUT_PLATFORM_UNHEALTHY',
    component,
    `${component} did not become healthy: ${(error as Error).message}\n  last lines of ${proc.logFile}:\n${logTail(proc.logFile)}`,
    `See ${proc.logFile}.`,
    { cause: error },
  );
}

async function ensureRegistry(ctx: RunContext): Promise<'already-healthy' | 'started'> {
  const url = endpointsOf(ctx.topology).schemaRegistryUrl;
  const existing = ctx.state.processes.registry;
  let proc = existing;
  let outcome: 'already-healthy' | 'started' = 'already-healthy';
  if (!existing || !isOurs(existing)) {
    await assertPortsFree(componentPorts(ctx.topology, 'registry'), 'registry');
    const cwd = join(ctx.topology.stateDir, 'registry');
    await mkdir(cwd, { recursive: true });
    proc = spawnManaged({
      name: 'registry',
      command: ctx.java.registry,
      args: registryArgs(ctx.topology, ctx.paths.apicurioJar),
      cwd,
      env: process.env,
      logFile: join(ctx.topology.logDir, 'registry.log'),
    });
    ctx.record(proc);
    outcome = 'started';
  }
  const p = proc as ManagedProcess;
  try {
    await waitUntil(() => registryReady(url), {
      timeoutMs: ctx.timeouts.registryMs,
      whyGone: () => notOurs(p),
    });
    await waitUntil(() => setGlobalCompatibility(url), {
      timeoutMs: 15_000,
      whyGone: () => notOurs(p),
    });
  } catch (error) {
    throw unhealthy('registry', p, error);
  }
  return outcome;
}

async function ensureJaeger(ctx: RunContext): Promise<'already-healthy' | 'started'> {
  const url = endpointsOf(ctx.topology).jaegerQueryUrl;
  const existing = ctx.state.processes.jaeger;
  let proc = existing;
  let outcome: 'already-healthy' | 'started' = 'already-healthy';
  if (!existing || !isOurs(existing)) {
    await assertPortsFree(componentPorts(ctx.topology, 'jaeger'), 'jaeger');
    const config = join(ctx.topology.stateDir, 'jaeger.yaml');
    await mkdir(ctx.topology.stateDir, { recursive: true });
    await writeFile(config, jaegerConfigYaml(ctx.topology));
    proc = spawnManaged({
      name: 'jaeger',
      command: ctx.paths.jaegerBinary,
      args: ['--config', config],
      cwd: ctx.topology.stateDir,
      env: process.env,
      logFile: join(ctx.topology.logDir, 'jaeger.log'),
    });
    ctx.record(proc);
    outcome = 'started';
  }
  const p = proc as ManagedProcess;
  try {
    await waitUntil(() => jaegerReady(url), {
      timeoutMs: ctx.timeouts.jaegerMs,
      whyGone: () => notOurs(p),
    });
  } catch (error) {
    throw unhealthy('jaeger', p, error);
  }
  return outcome;
}

async function stopProcesses(
  topology: Topology,
  state: StackState,
  names: string[],
  log: LogSink,
): Promise<void> {
  // Services first (they hold Kafka connections), then the platform; brokers together.
  const order = (name: string): number =>
    serviceCatalog.some((s) => s.name === name)
      ? 0
      : name === 'jaeger' || name === 'registry'
        ? 1
        : 2;
  for (const tier of [0, 1, 2]) {
    const batch = names.filter((n) => order(n) === tier);
    await Promise.all(
      batch.map(async (name) => {
        const proc = state.processes[name];
        if (!proc) return;
        const result = await stopManaged(proc, tier === 2 ? 20_000 : 10_000);
        if (result !== 'not-running') log(`  ■ ${name} (pid ${proc.pid}) ${result}`);
        delete state.processes[name];
      }),
    );
  }
  saveState(topology, state);
}

function contextFor(
  topology: Topology,
  options: StartOptions,
  log: LogSink,
): Omit<RunContext, 'paths' | 'java'> {
  const state = loadState(topology);
  const running = runningNames(state).filter((n) => n.startsWith('kafka-'));
  if (running.length > 0 && state.brokers !== topology.brokers.length)
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'kafka',
      `profile "${topology.profile}" is running ${state.brokers} broker(s), not ${topology.brokers.length}`,
      `Run \`npm run stack -- down --profile ${topology.profile}\` first, or use another --profile.`,
    );
  if (runningNames(state).length > 0 && state.portOffset !== topology.portOffset)
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'stack',
      `profile "${topology.profile}" is running with port offset ${state.portOffset}, not ${topology.portOffset}`,
      `Omit --port-offset, or run \`npm run stack -- down --profile ${topology.profile}\` first.`,
    );
  if (runningNames(state).length > 0 && (state.secure ?? false) !== topology.secure)
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'kafka',
      `profile "${topology.profile}" is running ${state.secure ? 'secure (SASL_SSL)' : 'without --secure (PLAINTEXT)'}`,
      `Run \`npm run stack -- down --profile ${topology.profile}\` first, or use another --profile.`,
    );
  state.brokers = topology.brokers.length;
  state.portOffset = topology.portOffset;
  state.secure = topology.secure;
  const started: ManagedProcess[] = [];
  return {
    topology,
    state,
    log,
    timeouts: { ...defaultTimeouts, ...options.timeouts },
    started,
    record(proc) {
      started.push(proc);
      state.processes[proc.name] = proc;
      saveState(topology, state);
    },
  };
}

/**
 * Provisions what is missing, starts what is not running and waits for real health: a Kafka
 * produce/consume round trip, the registry's API (with BACKWARD_TRANSITIVE set), Jaeger's
 * /api/services. Idempotent: a healthy stack is left as it is. On failure, everything this
 * call started is stopped again and the error names the component and its log file.
 */
async function startUnlocked(options: StartOptions): Promise<RunningPlatform> {
  const log = options.log ?? console.log;
  const topology = resolveTopology(options);
  const begun = Date.now();
  const paths = await provision({ components: topology.components, log });
  const java = {
    kafka: topology.components.includes('kafka')
      ? findJava('kafka', minimumJava.kafka, process.env.FANOUT_KAFKA_JAVA)
      : '',
    registry: topology.components.includes('registry')
      ? findJava('registry', minimumJava.apicurio, process.env.FANOUT_REGISTRY_JAVA)
      : '',
  };
  const ctx: RunContext = { ...contextFor(topology, options, log), paths, java };
  const root = options.root ?? repoRoot;
  log(
    `▶ starting stack "${topology.profile}" (${topology.brokers.length} broker(s), port offset ${topology.portOffset}${topology.secure ? ', secure: SASL_SSL' : ''}) in ${topology.stateDir}`,
  );
  if (topology.secure) {
    const material = await ensureSecureKafka(topology, log);
    ctx.secure = { material, client: clientSecurity(material) };
  }
  const steps: Record<ComponentName, (c: RunContext) => Promise<'already-healthy' | 'started'>> = {
    kafka: ensureKafka,
    registry: ensureRegistry,
    jaeger: ensureJaeger,
  };
  let services: ServiceOutcome[] = [];
  try {
    // In parallel: the JVMs' start-up dominates, and each waits on its own health check.
    const results = await Promise.allSettled(
      topology.components.map(async (component) => {
        const t = Date.now();
        const outcome = await steps[component](ctx);
        log(
          `  ✔ ${component} ${outcome === 'started' ? `healthy (${formatElapsed(Date.now() - t)})` : 'already healthy'}`,
        );
      }),
    );
    const failures = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as unknown);
    if (failures.length > 0)
      throw failures.length === 1
        ? failures[0]
        : new AggregateError(failures, failures.map((f) => (f as Error).message).join('\n'));
    if (options.services) {
      services = await ensureServices(
        ctx,
        root,
        Array.isArray(options.services) ? options.services : undefined,
        { compiled: options.compiled === true },
      );
      for (const s of services)
        log(
          s.outcome === 'absent'
            ? `  · ${s.name}: not written yet (services/${s.name}/src/main.ts), skipped`
            : `  ✔ ${s.name} ${s.outcome === 'started' ? 'ready' : 'already ready'} (${s.url})`,
        );
    }
  } catch (error) {
    if (ctx.started.length > 0) {
      log(`  ✘ start failed; stopping the ${ctx.started.length} process(es) this run started`);
      await stopProcesses(
        topology,
        ctx.state,
        ctx.started.map((p) => p.name),
        log,
      );
    }
    throw error;
  }
  const endpoints = endpointsOf(topology);
  log(`✔ stack "${topology.profile}" is healthy (${formatElapsed(Date.now() - begun)})`);
  const security = ctx.secure && platformSecurity(ctx.secure.material, ctx.secure.client);
  if (security)
    log(
      [
        `🔒 Kafka is SASL_SSL only (${security.mechanism}, user "${security.username}", CA ${security.caFile}).`,
        `   Client settings (password by file): ${security.envFile}`,
        ...Object.entries(security.env).map(([k, v]) => `     ${k}=${v}`),
      ].join('\n'),
    );
  return {
    topology,
    endpoints,
    env: endpointEnv(endpoints),
    started: ctx.started.map((p) => p.name),
    services,
    ...(security ? { security } : {}),
  };
}

export interface StopOptions extends StackOptions {
  log?: LogSink;
  /** Stop only these process names (e.g. services); default everything the profile started. */
  only?: readonly string[];
}

/** Stops the processes this profile started (verified by pid, start time and argv), nothing else. */
async function stopUnlocked(options: StopOptions): Promise<string[]> {
  const log = options.log ?? console.log;
  const topology = resolveTopology(options);
  const state = loadState(topology);
  const names = Object.keys(state.processes).filter(
    (n) => !options.only || options.only.includes(n),
  );
  const running = names.filter((n) => {
    const p = state.processes[n];
    return p !== undefined && isOurs(p);
  });
  await stopProcesses(topology, state, names, log);
  // A fully stopped profile forgets its mode: the next `up` is PLAINTEXT unless --secure.
  if (Object.keys(state.processes).length === 0 && state.secure) {
    state.secure = false;
    saveState(topology, state);
  }
  return running;
}

export interface ComponentStatus {
  name: string;
  /** Our process for it, if this profile started one that still runs. */
  pid?: number;
  healthy: boolean;
  detail: string;
  logFile?: string;
}

export interface PlatformStatus {
  profile: string;
  endpoints: StackEndpoints;
  /** Set when the profile runs Kafka on SASL_SSL (no secret in it). */
  security?: Omit<PlatformSecurity, 'kafka'>;
  healthy: boolean;
  components: ComponentStatus[];
  services: ComponentStatus[];
}

async function probe(check: () => Promise<string>): Promise<{ healthy: boolean; detail: string }> {
  try {
    return { healthy: true, detail: await check() };
  } catch (error) {
    return { healthy: false, detail: (error as Error).message };
  }
}

/**
 * Health by endpoint, plus which pids are ours. A healthy component without our pid was
 * started by someone else (another checkout, by hand): tests may use it, `down` leaves it.
 */
export async function platformStatus(options: StackOptions = {}): Promise<PlatformStatus> {
  const topology = resolveTopology(options);
  const state = loadState(topology);
  const endpoints = endpointsOf(topology);
  const ours = (name: string): ManagedProcess | undefined => {
    const p = state.processes[name];
    return p && isOurs(p) ? p : undefined;
  };
  const kafkaProcs = topology.brokers.map((b) => ours(brokerProcessName(b.nodeId)));
  const material = topology.secure ? loadSecureKafka(topology) : undefined;
  const client = material && clientSecurity(material);
  const [kafka, registry, jaeger] = await Promise.all([
    probe(async () => {
      const count = await kafkaBrokerCount(
        endpoints.kafkaBrokers,
        topology.secure ? (client ?? clientSecurity(requireSecureKafka(topology))) : undefined,
      );
      if (count < topology.brokers.length)
        throw new Error(`${count} of ${topology.brokers.length} brokers registered`);
      return `${count} broker(s) at ${endpoints.kafkaBrokers.join(',')}${topology.secure ? ` (SASL_SSL, ${secureMechanism})` : ''}`;
    }),
    probe(async () => {
      await registryReady(endpoints.schemaRegistryUrl);
      return endpoints.schemaRegistryUrl;
    }),
    probe(async () => {
      await jaegerReady(endpoints.jaegerQueryUrl);
      return `${endpoints.jaegerQueryUrl} (OTLP ${endpoints.otlpGrpcUrl} / ${endpoints.otlpHttpUrl})`;
    }),
  ]);
  const pidOf = (p?: ManagedProcess): { pid?: number; logFile?: string } =>
    p ? { pid: p.pid, logFile: p.logFile } : {};
  const components: ComponentStatus[] = [
    ...topology.brokers.map((b, i) => ({
      name: brokerProcessName(b.nodeId),
      ...pidOf(kafkaProcs[i]),
      ...(kafkaProcs[i] || topology.brokers.length === 1
        ? kafka
        : { healthy: false, detail: 'not running' }),
      logFile: join(topology.logDir, `${brokerProcessName(b.nodeId)}.log`),
    })),
    {
      name: 'registry',
      ...pidOf(ours('registry')),
      ...registry,
      logFile: join(topology.logDir, 'registry.log'),
    },
    {
      name: 'jaeger',
      ...pidOf(ours('jaeger')),
      ...jaeger,
      logFile: join(topology.logDir, 'jaeger.log'),
    },
  ].filter((c) =>
    topology.components.includes(c.name.startsWith('kafka') ? 'kafka' : (c.name as ComponentName)),
  );
  const services: ComponentStatus[] = [];
  for (const spec of serviceCatalog) {
    const p = ours(spec.name);
    if (!p && !state.processes[spec.name]) continue;
    const url = `http://127.0.0.1:${spec.port + topology.portOffset}/readyz`;
    services.push({
      name: spec.name,
      ...pidOf(p),
      ...(await probe(async () => {
        const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await r.body?.cancel();
        if (!r.ok) throw new Error(`${url} answered ${r.status}`);
        return url;
      })),
      logFile: join(topology.logDir, `${spec.name}.log`),
    });
  }
  let security: PlatformStatus['security'];
  if (material && client) {
    const { kafka: _secret, ...shown } = platformSecurity(material, client);
    security = shown;
  }
  return {
    profile: topology.profile,
    endpoints,
    ...(security ? { security } : {}),
    healthy: components.every((c) => c.healthy) && services.every((s) => s.healthy),
    components,
    services,
  };
}

export interface BrokerFaultOptions extends StackOptions {
  log?: LogSink;
}

/** Sends SIGKILL (default) to one broker of a running profile. Returns its pid. */
export function killBroker(
  nodeId: number,
  options: BrokerFaultOptions = {},
  signal: NodeJS.Signals = 'SIGKILL',
): number {
  const topology = resolveTopology(options);
  const state = loadState(topology);
  const proc = brokerProcess({ state }, nodeId);
  if (!proc || !signalManaged(proc, signal))
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'kafka',
      `broker ${nodeId} of profile "${topology.profile}" is not running`,
      'Start the cluster with `up --brokers 3` first.',
    );
  return proc.pid;
}

/** Starts a killed broker again on its storage and waits until the cluster lists it. */
export async function restartBroker(
  nodeId: number,
  options: BrokerFaultOptions = {},
): Promise<void> {
  const topology = resolveTopology(options);
  const paths = await provision({ components: ['kafka'], log: options.log ?? (() => undefined) });
  const material = topology.secure ? requireSecureKafka(topology) : undefined;
  const ctx: RunContext = {
    ...contextFor(topology, {}, options.log ?? console.log),
    paths,
    java: {
      kafka: findJava('kafka', minimumJava.kafka, process.env.FANOUT_KAFKA_JAVA),
      registry: '',
    },
    ...(material ? { secure: { material, client: clientSecurity(material) } } : {}),
  };
  await restartOneBroker(ctx, nodeId);
}

export const platformVersions = versions;
export { healthTopic };

/** `startUnlocked`, one run per profile at a time (a concurrent run waits for the lock). */
export async function startPlatform(options: StartOptions = {}): Promise<RunningPlatform> {
  return withProfileLock(resolveTopology(options), options.log ?? console.log, () =>
    startUnlocked(options),
  );
}

/** `stopUnlocked`, under the same per-profile lock as `startPlatform`. */
export async function stopPlatform(options: StopOptions = {}): Promise<string[]> {
  return withProfileLock(resolveTopology(options), options.log ?? console.log, () =>
    stopUnlocked(options),
  );
}
