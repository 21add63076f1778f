import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command-runner';
import { kafkaBrokerCount, kafkaRoundTrip, waitUntil } from './health-checks';
import { kafkaLog4j2Yaml, kafkaServerProperties } from './kafka-config';
import { PlatformError } from './platform-error';
import { assertPortsFree, isPortFree } from './port-owner';
import { isOurs, logTail, notOurs, spawnManaged, type ManagedProcess } from './process-supervisor';
import type { RunContext } from './run-context';
import { scramFormatArgs } from './secure-kafka';
import { componentPorts, endpointsOf, type BrokerNode } from './topology';

export const brokerProcessName = (nodeId: number): string => `kafka-${nodeId}`;

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, like Uuid.randomUuid(). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

function brokerDirs(ctx: RunContext, node: BrokerNode) {
  const configDir = join(ctx.topology.stateDir, brokerProcessName(node.nodeId));
  return {
    configDir,
    properties: join(configDir, 'server.properties'),
    dataDir: join(ctx.topology.dataDir, brokerProcessName(node.nodeId)),
    logFile: join(ctx.topology.logDir, `${brokerProcessName(node.nodeId)}.log`),
  };
}

function heapFor(brokers: number): string {
  return brokers >= 3 ? '384m' : '768m';
}

/** Writes the node's config and, if its storage is not formatted yet, formats it. */
async function prepareBroker(ctx: RunContext, node: BrokerNode, clusterId: string): Promise<void> {
  const dirs = brokerDirs(ctx, node);
  await mkdir(dirs.configDir, { recursive: true });
  const secure = ctx.secure?.material;
  // 0600: in secure mode the file holds the inter-broker SCRAM password.
  await writeFile(
    dirs.properties,
    kafkaServerProperties({
      node,
      cluster: ctx.topology.brokers,
      logDir: dirs.dataDir,
      security: secure && {
        keystoreFile: secure.brokerKeystoreFile,
        truststoreFile: secure.caFile,
        interBroker: secure.interBroker,
      },
    }),
    { mode: 0o600 },
  );
  await writeFile(join(ctx.topology.stateDir, 'kafka-log4j2.yaml'), kafkaLog4j2Yaml);
  if (existsSync(join(dirs.dataDir, 'meta.properties'))) return;
  const args = [
    '-cp',
    `${ctx.paths.kafkaLibs}/*`,
    `-Dlog4j2.configurationFile=${join(ctx.topology.stateDir, 'kafka-log4j2.yaml')}`,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    dirs.properties,
    '--ignore-formatted',
  ];
  // KRaft keeps SCRAM credentials in the metadata log: they are created with the storage.
  const scram = secure ? scramFormatArgs(secure) : { args: [], shown: [] };
  await runCommand({
    component: 'kafka',
    command: ctx.java.kafka,
    args: [...args, ...scram.args],
    shownArgs: [...args, ...scram.shown],
    cwd: dirs.configDir,
    logFile: dirs.logFile,
    timeoutMs: 120_000,
    hint: 'Formatting the broker storage failed; see the log. `npm run stack -- down` and `up` again start from clean storage.',
  });
}

function spawnBroker(ctx: RunContext, node: BrokerNode): ManagedProcess {
  const dirs = brokerDirs(ctx, node);
  const heap = heapFor(ctx.topology.brokers.length);
  return spawnManaged({
    name: brokerProcessName(node.nodeId),
    command: ctx.java.kafka,
    args: [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      `-Dlog4j2.configurationFile=${join(ctx.topology.stateDir, 'kafka-log4j2.yaml')}`,
      '-cp',
      `${ctx.paths.kafkaLibs}/*`,
      'kafka.Kafka',
      dirs.properties,
    ],
    cwd: dirs.configDir,
    env: process.env,
    logFile: dirs.logFile,
  });
}

function unhealthy(ctx: RunContext, nodes: BrokerNode[], error: unknown): PlatformError {
  const logs = nodes.map((n) => brokerDirs(ctx, n).logFile);
  return new PlatformError(
    'FANOUT_PLATFORM_UNHEALTHY',
    'kafka',
    `kafka did not become healthy: ${(error as Error).message}\n  last lines of ${logs[0]}:\n${logTail(logs[0] ?? '')}`,
    `See ${logs.join(', ')}.`,
    { cause: error },
  );
}

/**
 * Starts the brokers that are not running. A cluster with no running broker starts from
 * fresh storage (the platform is ephemeral, like the in-memory registry: no stale schema ids);
 * a partly running cluster keeps its storage, so restarting a killed broker rejoins it.
 */
export async function ensureKafka(ctx: RunContext): Promise<'already-healthy' | 'started'> {
  const { topology, state } = ctx;
  const brokers = endpointsOf(topology).kafkaBrokers;
  const replication = topology.brokers.length >= 3 ? 3 : 1;
  const running = topology.brokers.filter((n) => {
    const proc = state.processes[brokerProcessName(n.nodeId)];
    return proc !== undefined && isOurs(proc);
  });
  if (running.length === topology.brokers.length) {
    try {
      await kafkaRoundTrip(brokers, replication, 20_000, ctx.secure?.client);
      return 'already-healthy';
    } catch {
      // still starting, or broken: the wait below decides
    }
  }
  const missing = topology.brokers.filter((n) => !running.includes(n));
  if (missing.length > 0) {
    await assertPortsFree(
      componentPorts(topology, 'kafka').filter((p) =>
        missing.some((n) => n.port === p.port || n.controllerPort === p.port),
      ),
      'kafka',
    );
    if (running.length === 0) {
      for (const n of topology.brokers)
        await rm(brokerDirs(ctx, n).dataDir, { recursive: true, force: true });
      state.clusterId = newClusterId();
    }
    const clusterId = state.clusterId ?? newClusterId();
    state.clusterId = clusterId;
    await Promise.all(missing.map((n) => prepareBroker(ctx, n, clusterId)));
    for (const n of missing) ctx.record(spawnBroker(ctx, n));
  }
  const procs = topology.brokers.map((n) => state.processes[brokerProcessName(n.nodeId)]);
  try {
    await waitUntil(() => kafkaRoundTrip(brokers, replication, 15_000, ctx.secure?.client), {
      timeoutMs: ctx.timeouts.kafkaMs,
      intervalMs: 1000,
      whyGone: () =>
        procs
          .map((p) => (p === undefined ? 'a broker was never started' : notOurs(p)))
          .find(Boolean),
    });
  } catch (error) {
    throw unhealthy(ctx, topology.brokers, error);
  }
  return missing.length > 0 ? 'started' : 'already-healthy';
}

/** SIGKILL (or another signal) to one broker of a running cluster, for fault tests. */
export function brokerProcess(
  ctx: Pick<RunContext, 'state'>,
  nodeId: number,
): ManagedProcess | undefined {
  return ctx.state.processes[brokerProcessName(nodeId)];
}

/** Starts one stopped broker again on its existing storage and waits until it rejoins. */
export async function restartBroker(ctx: RunContext, nodeId: number): Promise<void> {
  const node = ctx.topology.brokers.find((n) => n.nodeId === nodeId);
  if (!node)
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'kafka',
      `there is no broker ${nodeId}`,
      `Brokers are 1..${ctx.topology.brokers.length}.`,
    );
  const existing = brokerProcess(ctx, nodeId);
  if (existing && isOurs(existing)) return;
  // The killed JVM's listeners take a moment to disappear from the kernel.
  await waitUntil(
    async () => {
      if (!(await isPortFree(node.port)) || !(await isPortFree(node.controllerPort)))
        throw new Error('ports still held');
    },
    { timeoutMs: 15_000, intervalMs: 250 },
  );
  await prepareBroker(ctx, node, ctx.state.clusterId ?? newClusterId());
  const proc = spawnBroker(ctx, node);
  ctx.record(proc);
  const brokers = endpointsOf(ctx.topology).kafkaBrokers;
  try {
    await waitUntil(
      async () => {
        const count = await kafkaBrokerCount(brokers, ctx.secure?.client);
        if (count < ctx.topology.brokers.length)
          throw new Error(`${count} of ${ctx.topology.brokers.length} brokers registered`);
      },
      { timeoutMs: ctx.timeouts.kafkaMs, intervalMs: 1000, whyGone: () => notOurs(proc) },
    );
  } catch (error) {
    throw unhealthy(ctx, [node], error);
  }
}
