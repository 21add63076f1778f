import type { z } from 'zod';
import { NonRetriableError } from '@fanout/errors';

/** One line per bad variable: the variable's name and why it was refused. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends NonRetriableError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(
      'FANOUT_CONFIG_INVALID',
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`,
      { details: { variables: issues.map((i) => i.variable) } },
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Validates the environment once, at start, and returns the compiled, typed config. The
 * schema's keys are the variable names, so every message names the variable to fix. Values are
 * never echoed: a bad API key must not end up in a crash log.
 */
export function loadConfig<S extends z.ZodTypeAny>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  // Empty strings count as unset, so `FOO=` falls back to the default like an absent FOO.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data as z.output<S>;
  const issues = result.error.issues.map((issue) => {
    const [variable, ...rest] = issue.path;
    const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
    const message = missing ? 'is required' : issue.message;
    // A list variable (API_KEYS, KAFKA_BROKERS) names the bad item by position, not by value.
    return {
      variable: variable === undefined ? '(environment)' : String(variable),
      message:
        rest.length > 0 ? `item ${rest.map((r) => Number(r) + 1).join('.')}: ${message}` : message,
    };
  });
  throw new ConfigError(issues);
}
