import { z } from 'zod';
import { env, loadConfig } from '@fanout/service-kit';

const schema = z.object({
  PORT: env.port(4000),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  /**
   * Bearer keys the sandbox APIs accept, comma-separated: `key` (every API) or `api=key` (one
   * API, e.g. `crm=sk_crm_...`). Default: the well-known sandbox development key.
   */
  SANDBOX_API_KEYS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ? value
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)
        : undefined,
    )
    .refine((keys) => keys === undefined || keys.length > 0, 'expected at least one key'),
  /** Idempotency keys remembered before the oldest are forgotten. */
  SANDBOX_MAX_IDEMPOTENCY_KEYS: env.positiveInt(1_000_000),
});

export type SandboxConfig = z.output<typeof schema>;

/** Reads the environment once, at start; fails naming the variable. */
export function loadSandboxConfig(source: NodeJS.ProcessEnv = process.env): SandboxConfig {
  return loadConfig(schema, source);
}
