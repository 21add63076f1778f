import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { platformEndpoints } from '@fanout/test-platform';
import type { SagaTopicEnv } from './saga-fixtures';
import { sleep } from './saga-fixtures';

/** A free TCP port on 127.0.0.1, for a child's HTTP server. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface CoordinatorProcess {
  child: ChildProcess;
  port: number;
  output: string[];
  /** Partitions the instance owns and has restored, from its /readyz. */
  ownedPartitions(): Promise<number[] | undefined>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `node --import tsx services/saga-coordinator/src/main.ts` as the local platform does,
 * with the test's topics and group, and waits until /readyz says it restored its partitions.
 */
export async function spawnCoordinator(
  topics: SagaTopicEnv,
  extraEnv: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<CoordinatorProcess> {
  const port = await freePort();
  const endpoints = platformEndpoints();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/saga-coordinator/src/main.ts'],
    {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        PORT: String(port),
        LOG_LEVEL: 'info',
        KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
        OTEL_TRACES_EXPORTER: 'none',
        SAGA_SESSION_TIMEOUT_MS: '6000',
        ...topics,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 2_000) output.splice(0, output.length - 2_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const readyz = async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      return {
        ok: response.ok,
        body: (await response.json()) as { checks?: Record<string, { detail?: string }> },
      };
    } catch {
      return undefined;
    }
  };
  const process_: CoordinatorProcess = {
    child,
    port,
    output,
    async ownedPartitions() {
      const answer = await readyz();
      const detail = answer?.body.checks?.sagas?.detail ?? '';
      const match = /\[([\d,]*)\]/.exec(detail);
      if (!answer?.ok || !match) return undefined;
      return match[1] ? match[1].split(',').map(Number) : [];
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await Promise.race([exited, sleep(15_000)]);
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`coordinator exited early:\n${output.slice(-30).join('\n')}`);
    if ((await readyz())?.ok) return process_;
    await sleep(200);
  }
  await process_.kill();
  throw new Error(
    `coordinator not ready within ${readyTimeoutMs} ms:\n${output.slice(-30).join('\n')}`,
  );
}
