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
 * Key rules at any depth: pino's paths are fixed, but event payloads put personal data wherever
 * the schema does (`user.address.street`, `order.customer.email`). Values are scrubbed later, on
 * the finished line.
 */
function redactKeys(value: unknown, path: string, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactKeys(item, path, depth + 1));
  // Errors go through pino's err serializer; buffers, dates and class instances stay as they are.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const fieldPath = path ? `${path}.${key}` : key;
    out[key] = isSensitiveKey(fieldPath) ? REDACTED : redactKeys(field, fieldPath, depth + 1);
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
 * span, and personal data and secrets redacted by the same rules as spans (keys by name at any
 * depth, emails and bearer tokens anywhere in the line). One child per component:
 * `logger.child({ component: 'outbox-relay' })`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactKeys(object, '', 0) as Record<string, unknown>,
    },
    mixin: traceFields,
    redact: { paths: redactPaths(), censor: REDACTED },
    hooks: {
      // Value patterns (emails, bearer tokens, secret query parameters) on the finished line: it
      // also covers the message, error messages and what serializers produce (Fastify's req.url).
      streamWrite: scrubString,
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
