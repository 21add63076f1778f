import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsumerService } from '@fanout/consumer-kit';
import { crmConsumer } from '@fanout/crm-consumer/consumer';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { createLogger } from '@fanout/telemetry';
import {
  consumerEnv,
  createConsumerTopics,
  eventually,
  newKafka,
  startSandbox,
} from './consumer-fixtures';

/** A port on 127.0.0.1 that refuses connections (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('consumer readiness', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('while the schema registry is unreachable the consumer is live but not ready, and does not consume', async () => {
    const topics = await createConsumerTopics(newKafka());
    const env = consumerEnv('crm', sandbox, topics, {
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${await closedPort()}/apis/ccompat/v7`,
    });
    const service = await startConsumerService(crmConsumer, crmConsumer.loadConfig(env), {
      logger: createLogger({ name: 'crm-consumer', level: 'silent' }),
    });
    try {
      expect((await fetch(`${service.address}/healthz`)).status).toBe(200);
      // Still not ready after several registry attempts, and it has not crashed.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const readyz = await fetch(`${service.address}/readyz`);
      expect(readyz.status).toBe(503);
      const body = JSON.stringify(await readyz.json());
      expect(body).toContain('waiting for the registry');
      const settled = await Promise.race([
        service.consuming.then(
          () => 'consuming',
          () => 'failed',
        ),
        eventually('still waiting', async () => 'waiting', 100),
      ]);
      expect(settled).toBe('waiting');
    } finally {
      await service.stop();
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    }
  });
});
