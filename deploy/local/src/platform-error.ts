import { FanoutError } from '@fanout/errors';

export type PlatformErrorCode =
  | 'FANOUT_PLATFORM_PREREQUISITE_MISSING'
  | 'FANOUT_PLATFORM_PROVISION_FAILED'
  | 'FANOUT_PLATFORM_CACHE_CORRUPT'
  | 'FANOUT_PLATFORM_PORT_IN_USE'
  | 'FANOUT_PLATFORM_START_FAILED'
  | 'FANOUT_PLATFORM_UNHEALTHY'
  | 'FANOUT_PLATFORM_BAD_OPTION';

/**
 * Every platform failure names the component that failed and what to do next (`hint`), so
 * the CLI prints one actionable message instead of a stack trace.
 */
export class PlatformError extends FanoutError {
  readonly component: string;
  readonly hint: string;

  constructor(
    code: PlatformErrorCode,
    component: string,
    message: string,
    hint: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, { ...options, retriable: false });
    this.name = 'PlatformError';
    this.component = component;
    this.hint = hint;
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}
