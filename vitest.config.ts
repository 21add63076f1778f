import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no infrastructure, runs anywhere in parallel) and
// `integration` (real Kafka, registry and Jaeger, started once per run by the global setup of
// @fanout/test-platform). Integration files are named *.int.test.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'libs/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'deploy/local/src/**/*.test.ts',
            'deploy/k8s/src/**/*.test.ts',
            'tools/*/src/**/*.test.ts',
            'test/unit/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          environment: 'node',
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          globalSetup: ['libs/test-platform/src/global-setup.ts'],
          // Two cores: one broker, one registry, one Jaeger and the services under test share
          // them. Files run one at a time; each file may start its own service processes.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
