import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('domain service configuration', () => {
  for (const service of ['user-service', 'order-service']) {
    it(`${service} refuses to start on bad configuration, naming each bad variable`, () => {
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', `services/${service}/src/main.ts`],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH ?? '',
            OTEL_TRACES_EXPORTER: 'none',
            PORT: 'eighty',
            KAFKA_BROKERS: 'localhost',
            API_KEYS: 'secret-but-short',
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('invalid configuration');
      expect(result.stderr).toMatch(/PORT: /);
      expect(result.stderr).toMatch(/KAFKA_BROKERS: item 1: expected host:port/);
      // Long enough, so not reported, and never echoed.
      expect(result.stderr).not.toContain('secret-but-short');
    });
  }
});
