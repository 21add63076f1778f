import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { REDACTED, SENSITIVE_LOG_KEYS, isSensitiveKey, scrubString } from './redaction-rules';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CreateLoggerOptions {
  /** The service (or tool) name, the `name` field of every line. */
  name: string;
  /** Usually the service's LOG_LEVEL; default `info`. */
  level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

const MAX_DEPTH = 8;

function pathKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key.replace(/"/g, '\\"')}"]`;
}

/** pino's compiled redaction: sensitive keys at the top level, one level down, and in headers. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SENSITIVE_LOG_KEYS) {
    const segment = pathKey(key);
    paths.push(
      segment.startsWith('[') ? segment : key,
      `*${segment.startsWith('[') ? '' : '.'}${segment}`,
    );
  }
  for (const header of ['authorization', 'cookie', '["x-api-key"]', '["set-cookie"]']) {
    const sep = header.startsWith('[') ? '' : '.';
    paths.push(`req.headers${sep}${header}`, `res.headers${sep}${header}`);
  }
  return paths;
}

/**
 * The same rules as span redaction, at any depth: pino's paths are fixed, but event payloads put
 * personal data wherever the schema does (`user.address.street`, `order.customer.email`).
 */
function scrubFields(value: unknown, path: string, depth: number): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrubFields(item, path, depth + 1));
  // Errors go through the err serializer below; buffers, dates and class instances stay as they are.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const fieldPath = path ? `${path}.${key}` : key;
    out[key] = isSensitiveKey(fieldPath) ? REDACTED : scrubFields(field, fieldPath, depth + 1);
  }
  return out;
}

function scrubbedError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(serialized)) {
    out[key] = isSensitiveKey(key) ? REDACTED : scrubFields(field, key, 1);
  }
  return out;
}

/** `trace_id`, `span_id` and `trace_flags` of the active span, so a log line opens its trace. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return {};
  return {
    trace_id: ctx.traceId,
    span_id: ctx.spanId,
    trace_flags: `0${ctx.traceFlags.toString(16)}`.slice(-2),
  };
}

/**
 * Structured JSON logs: one line per entry, ISO time, string levels, trace ids from the active
 * span, and personal data and secrets redacted by the same rules as spans (keys by name, emails
 * and bearer tokens inside any string, including the message). One child per component:
 * `logger.child({ component: 'outbox-relay' })`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubFields(object, '', 0) as Record<string, unknown>,
    },
    mixin: traceFields,
    redact: { paths: redactPaths(), censor: REDACTED },
    serializers: { err: scrubbedError, error: scrubbedError },
    hooks: {
      // The message and its printf arguments are free text: scrub them as values.
      logMethod(args, method) {
        const scrubbed = args.map((arg: unknown) =>
          typeof arg === 'string' ? scrubString(arg) : arg,
        ) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
