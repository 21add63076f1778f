import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_API_KEY, createSandbox } from '@fanout/sandbox-apis/sandbox';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { freePort } from '../saga/coordinator-process';
import { newKafka, sleep } from '../saga/saga-fixtures';
import { createTopics } from './participant-fixtures';

/**
 * The participants as the local platform runs them: `node --import tsx services/<name>/src/main.ts`.
 * A bad environment refuses to start naming the variable; a good one serves health, readiness
 * and metrics on its port and stops cleanly on SIGTERM.
 */

const participants = [
  { name: 'inventory-consumer', api: 'inventory', prefix: 'INVENTORY' },
  { name: 'payment-consumer', api: 'payment', prefix: 'PAYMENT' },
  { name: 'shipping-consumer', api: 'shipping', prefix: 'SHIPPING' },
] as const;

interface Run {
  code: number | null;
  output: string;
}

function baseEnv(port: number): Record<string, string> {
  const endpoints = platformEndpoints();
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'test',
    PORT: String(port),
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    OTEL_TRACES_EXPORTER: 'none',
  };
}

/** Runs main.ts to its exit (bounded): for configurations that must be refused. */
function runToExit(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
      cwd: process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

let sandbox: Sandbox;
let dataDir: string;

beforeAll(async () => {
  sandbox = await createSandbox({ port: 0 });
  dataDir = await mkdtemp(join(tmpdir(), 'participant-processes-'));
});

afterAll(async () => {
  await sandbox?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('participant processes', () => {
  for (const participant of participants) {
    it(`${participant.name} refuses to start with a bad base URL or a missing credential, naming the variable`, async () => {
      const port = await freePort();
      const badUrl = await runToExit(participant.name, {
        ...baseEnv(port),
        [`${participant.prefix}_API_URL`]: 'ftp://sandbox/inventory',
        [`${participant.prefix}_API_KEY`]: 'sk_never_printed_0123',
      });
      expect(badUrl.code).toBe(1);
      expect(badUrl.output).toContain(`${participant.prefix}_API_URL`);
      expect(badUrl.output).not.toContain('sk_never_printed_0123');

      const noKey = await runToExit(participant.name, {
        ...baseEnv(port),
        [`${participant.prefix}_API_URL`]: sandbox.baseUrl(participant.api),
      });
      expect(noKey.code).toBe(1);
      expect(noKey.output).toContain(`${participant.prefix}_API_KEY`);
    });
  }

  it('each participant serves /healthz, /readyz and /metrics on its port, and exits 0 on SIGTERM', async () => {
    const kafka = newKafka('participant-processes');
    const replies = uniqueName('process-replies');
    const commands = participants.map((p) => uniqueName(`${p.api}-process-commands`));
    await createTopics(kafka, [replies, ...commands]);

    for (const [index, participant] of participants.entries()) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', `services/${participant.name}/src/main.ts`],
        {
          cwd: process.cwd(),
          env: {
            ...baseEnv(port),
            [`${participant.prefix}_API_URL`]: sandbox.baseUrl(participant.api),
            [`${participant.prefix}_API_KEY`]: DEFAULT_SANDBOX_API_KEY,
            [`${participant.prefix}_COMMANDS_TOPIC`]: commands[index]!,
            SAGA_REPLIES_TOPIC: replies,
            CONSUMER_GROUP_ID: uniqueName(participant.name),
            CALL_LEDGER_TOPIC: uniqueName(`${participant.name}-ledger`),
            DATA_DIR: join(dataDir, participant.name),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const output: string[] = [];
      child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        const base = `http://127.0.0.1:${port}`;
        let ready = false;
        const deadline = Date.now() + 60_000;
        while (!ready && Date.now() < deadline && child.exitCode === null) {
          ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
            (response) => response.ok,
            () => false,
          );
          if (!ready) await sleep(250);
        }
        expect(ready, `${participant.name} ready:\n${output.join('').slice(-3_000)}`).toBe(true);
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        const metrics = await fetch(`${base}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('fanout_');

        child.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
        expect(code, `${participant.name} exit:\n${output.join('').slice(-3_000)}`).toBe(0);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
  });
});
