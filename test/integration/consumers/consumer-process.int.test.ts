import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { uniqueName } from '@fanout/test-platform';
import { ServiceProcess, freePort } from '../domain/support/service-process';
import { topicConfigValue } from '../domain/support/topic-reader';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import {
  consumerHarness,
  apiGet,
  consumerEnv,
  createConsumerTopics,
  eventually,
  produce,
  userRegistered,
  withTimeout,
} from './consumer-fixtures';
import type { ConsumerTopics } from './consumer-fixtures';

interface Run {
  code: number | null;
  output: string;
}

/** Runs a consumer's main.ts as the local platform does, until it exits (bounded). */
function runToExit(service: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_TRACES_EXPORTER: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} did not exit within ${timeoutMs} ms:\n${output.slice(-2000)}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Process-level behaviour of a consumer started as `node --import tsx services/<x>/src/main.ts`:
 * refusing a bad configuration, serving its probes, and stopping gracefully on SIGTERM.
 */
describe('consumer process', () => {
  let kafka: Kafka;
  let codec: RegistryCodec;
  let producer: Producer;
  let sandbox: Sandbox;
  let topics: ConsumerTopics;

  beforeAll(async () => {
    ({ kafka, codec, producer, sandbox } = await consumerHarness());
    topics = await createConsumerTopics(kafka);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await codec?.close();
    await sandbox?.close();
  });

  const refusals: Array<{
    service: string;
    api: 'crm' | 'email' | 'search' | 'analytics';
    change: Record<string, string>;
    variable: string;
  }> = [
    {
      service: 'crm-consumer',
      api: 'crm' as const,
      change: { CRM_API_URL: 'not a url' },
      variable: 'CRM_API_URL',
    },
    {
      service: 'email-consumer',
      api: 'email' as const,
      change: { EMAIL_API_KEY: '' },
      variable: 'EMAIL_API_KEY',
    },
    {
      service: 'search-consumer',
      api: 'search' as const,
      change: { SEARCH_API_URL: 'ftp://127.0.0.1/search' },
      variable: 'SEARCH_API_URL',
    },
    {
      service: 'analytics-consumer',
      api: 'analytics' as const,
      change: { ANALYTICS_API_KEY: '', ANALYTICS_API_KEY_FILE: '/nonexistent/analytics-key' },
      variable: 'ANALYTICS_API_KEY_FILE',
    },
    {
      service: 'crm-consumer',
      api: 'crm' as const,
      change: { KAFKA_BROKERS: 'no-port' },
      variable: 'KAFKA_BROKERS',
    },
  ];
  for (const r of refusals) {
    it(`${r.service} refuses to start with a bad ${r.variable}, naming the variable`, async () => {
      const env = { ...consumerEnv(r.api, sandbox, topics), ...r.change };
      const run = await runToExit(r.service, env);
      expect(run.code).toBe(1);
      expect(run.output).toContain('refuses to start');
      expect(run.output).toContain(r.variable);
      // Nothing secret is echoed.
      expect(run.output).not.toContain('sk_sandbox');
    });
  }

  it('serves /healthz and /readyz, consumes, and exits 0 on SIGTERM', async () => {
    const keyFile = `${process.env.TMPDIR ?? '/tmp'}/crm-key-${Date.now()}`;
    writeFileSync(keyFile, 'sk_sandbox_local_development_key\n');
    const env = {
      ...consumerEnv('crm', sandbox, topics, { LOG_LEVEL: 'info', CRM_API_KEY: '' }),
      CRM_API_KEY_FILE: keyFile,
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'services/crm-consumer/src/main.ts'],
      {
        cwd: process.cwd(),
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          OTEL_TRACES_EXPORTER: 'none',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      // PORT=0: the address comes from the "listening" log line.
      const address = await eventually(
        'listening address',
        async () => {
          const match = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
          return match?.[1];
        },
        60_000,
      );
      const health = await fetch(`${address}/healthz`);
      expect(health.status).toBe(200);
      await eventually(
        'ready',
        async () => ((await fetch(`${address}/readyz`)).status === 200 ? true : undefined),
        60_000,
      );
      const metrics = await (await fetch(`${address}/metrics`)).text();
      expect(metrics).toContain('fanout_circuit_state');

      const user = userRegistered();
      await produce(producer, codec, topics.users, 'fanout.user.UserRegistered', [user]);
      await eventually('contact from the child', async () =>
        (await apiGet<unknown>(sandbox, 'crm', `/v1/contacts/${user.userId}`)).status === 200
          ? true
          : undefined,
      );
      child.kill('SIGTERM');
      expect(await withTimeout(exited, 30_000, 'exit after SIGTERM')).toBe(0);
      expect(output).toContain('stopped');
      expect(output).not.toContain('sk_sandbox_local_development_key');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);

  it('email-consumer becomes ready on a broker without its view topic, creating it compacted as the catalog says', async () => {
    const missing = uniqueName('c-contacts-missing');
    const env = consumerEnv('email', sandbox, topics, { USER_CONTACTS_TOPIC: missing });
    const instance = new ServiceProcess('email-consumer', await freePort(), env);
    try {
      await instance.start();
      await eventually(
        'email-consumer ready',
        async () => ((await fetch(`${instance.baseUrl}/readyz`)).ok ? true : undefined),
        60_000,
      );
      expect(await topicConfigValue(missing, 'cleanup.policy')).toBe('compact');
    } finally {
      await instance.stop();
    }
  }, 120_000);
});
