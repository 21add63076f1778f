/**
 * The one error family of Fanout. Every failure that crosses a lib boundary carries a stable
 * `code` and a `retriable` flag; the consumer runtime decides retry versus dead-letter from
 * those two fields only, never from message text.
 */
export type ErrorCode =
  // contracts and codecs
  | 'FANOUT_SCHEMA_INVALID'
  | 'FANOUT_SCHEMA_UNKNOWN_EVENT'
  | 'FANOUT_SCHEMA_INCOMPATIBLE'
  | 'FANOUT_DECODE_FAILED'
  | 'FANOUT_UNKNOWN_SCHEMA_ID'
  | 'FANOUT_PAYLOAD_INVALID'
  | 'FANOUT_REGISTRY_UNAVAILABLE'
  | 'FANOUT_REGISTRY_REQUEST_FAILED'
  | 'FANOUT_SCHEMA_NOT_REGISTERED'
  // messaging
  | 'FANOUT_PUBLISH_FAILED'
  | 'FANOUT_HANDLER_FAILED'
  | 'FANOUT_SHUTDOWN_TIMEOUT'
  // downstream APIs
  | 'FANOUT_API_NETWORK'
  | 'FANOUT_API_TIMEOUT'
  | 'FANOUT_API_SERVER_ERROR'
  | 'FANOUT_API_RATE_LIMITED'
  | 'FANOUT_API_CLIENT_ERROR'
  | 'FANOUT_API_BAD_RESPONSE'
  | 'FANOUT_API_CIRCUIT_OPEN'
  // configuration
  | 'FANOUT_CONFIG_INVALID'
  // anything else a service wants to name
  | (string & { readonly __brand?: 'custom' });

export interface FanoutErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** Structured, non-personal context that helps an operator: never credentials or PII. */
  details?: Record<string, unknown>;
}

export class FanoutError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FanoutErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FanoutError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/** A failure worth trying again: network trouble, 5xx, timeouts, 429. */
export class RetriableError extends FanoutError {
  constructor(
    code: ErrorCode,
    message: string,
    options: Omit<FanoutErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: true });
    this.name = 'RetriableError';
  }
}

/** A failure that will fail the same way every time: it goes to the dead-letter topic. */
export class NonRetriableError extends FanoutError {
  constructor(
    code: ErrorCode,
    message: string,
    options: Omit<FanoutErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: false });
    this.name = 'NonRetriableError';
  }
}

export function isFanoutError(error: unknown): error is FanoutError {
  return error instanceof FanoutError;
}

/**
 * Classifies any thrown value. Unknown errors count as retriable: a bug in a handler should
 * go through the retry tiers to the dead-letter topic, not be dropped.
 */
export function classifyError(error: unknown): {
  code: ErrorCode;
  retriable: boolean;
  message: string;
} {
  if (isFanoutError(error))
    return { code: error.code, retriable: error.retriable, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'FANOUT_HANDLER_FAILED', retriable: true, message };
}
