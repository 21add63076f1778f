import { z } from 'zod';

/**
 * Field builders for the environment names every service shares (see CONTRIBUTING.md).
 * Each service composes them into its own schema in its one `src/config.ts`.
 */
export const env = {
  port: (defaultPort: number) => z.coerce.number().int().min(0).max(65_535).default(defaultPort),
  host: () => z.string().min(1).default('127.0.0.1'),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  kafkaBrokers: () =>
    z
      .string()
      .default('127.0.0.1:9092')
      .transform((value) =>
        value
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
          .min(1, 'expected at least one host:port'),
      ),
  schemaRegistryUrl: () => z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  dataDir: (defaultDir: string) => z.string().min(1).default(defaultDir),
  /** Comma-separated API keys, each at least 12 characters. */
  apiKeys: () =>
    z
      .string({ required_error: 'is required (comma-separated API keys)' })
      .transform((value) =>
        value
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.string().min(12, 'each API key must be at least 12 characters'))
          .min(1, 'expected at least one API key'),
      ),
  positiveInt: (defaultValue: number) => z.coerce.number().int().positive().default(defaultValue),
  durationMs: (defaultValue: number) => z.coerce.number().int().min(0).default(defaultValue),
  topic: (defaultTopic: string) =>
    z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name')
      .default(defaultTopic),
};
