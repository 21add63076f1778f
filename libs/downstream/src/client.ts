import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { ZodType } from 'zod';
import { FanoutError, NonRetriableError, RetriableError } from '@fanout/errors';
import { Bulkhead } from './bulkhead';
import type { CallAttempt, CallLedger, OnAttempt } from './call-ledger';
import { CircuitBreaker } from './circuit-breaker';
import type { CircuitBreakerOptions, CircuitStateChange } from './circuit-breaker';
import type { Secret } from './credentials';
import { endHttpClientSpan, failHttpClientSpan, startHttpClientSpan } from './http-client-span';
import { parseRetryAfter } from './retry-after';
import { claimSelfTracedOrigin } from './self-traced-origins';
import { compileRetryPolicy, decideRetry } from './retry-policy';
import type { RetryPolicy, RetryPolicyOptions } from './retry-policy';
import { TokenBucket } from './token-bucket';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface DownstreamClientOptions {
  /** Short API name (`crm`): names the breaker, metrics, ledger records and errors. */
  api: string;
  /** Base URL including the API's path prefix, e.g. http://127.0.0.1:4000/crm */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; never logged, traced or put in errors. */
  credential?: Secret | undefined;
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number };
  retry?: RetryPolicyOptions;
  /** Breaker settings, or false for none. */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'name'> | false;
  /** Requests per second towards this API (token bucket), or null for no local limit. */
  rateLimit?: { ratePerSecond: number; burst?: number } | null;
  /** Attempts in flight at once towards this API; also the pool's connection count. */
  bulkhead?: { maxConcurrent: number; maxQueue?: number };
  /** Keep-alive and pipelining of the undici Pool. */
  pool?: { keepAliveTimeoutMs?: number; pipelining?: number };
  /** Called after every attempt; see {@link CallAttempt}. */
  onAttempt?: OnAttempt;
  /** Receives every attempt too (the Avro audit publisher). */
  ledger?: CallLedger;
  /** Characters of an API's error answer kept in errors. */
  maxErrorBodyChars?: number;
  userAgent?: string;
  /** Randomness for jitter (tests). */
  random?: () => number;
}

export interface CallOptions<T> {
  /** Names the call in spans, errors and the ledger, e.g. `upsertContact`. */
  operation: string;
  method: HttpMethod;
  /** Path below the base URL, e.g. `/v1/contacts/u-1`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Required for every write; see idempotencyKey(). */
  idempotencyKey?: string;
  /** Validates the answer; a mismatch is a non-retriable FANOUT_API_BAD_RESPONSE. */
  schema: ZodType<T>;
  /** Non-2xx statuses that are a normal answer for this operation (validated by `schema`). */
  acceptStatus?: readonly number[];
  signal?: AbortSignal;
}

export interface CallResult<T> {
  status: number;
  data: T;
  /** Attempts it took, 1 when the first one succeeded. */
  attempts: number;
  /** The API replayed an earlier answer for this Idempotency-Key. */
  replayed: boolean;
}

interface AttemptFailure {
  error: FanoutError;
  status: number | undefined;
  retryAfterMs: number | undefined;
}

/**
 * The HTTP client for one downstream API: an undici Pool with keep-alive, timeouts, retries
 * with full-jitter backoff that honour Retry-After, a circuit breaker, a token bucket and a
 * bulkhead. Every write carries an Idempotency-Key, so retries are safe: the API replays its
 * first answer instead of acting again.
 *
 * Guarantees: a call resolves only with a 2xx (or an accepted status) whose body passed the
 * schema; otherwise it rejects with a FanoutError whose `retriable` tells the consumer runtime
 * whether to retry or dead-letter. Errors never contain the credential.
 */
export class DownstreamClient {
  readonly api: string;
  readonly breaker: CircuitBreaker | undefined;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly origin: string;
  private readonly credential: Secret | undefined;
  private readonly policy: RetryPolicy;
  private readonly bucket: TokenBucket;
  private readonly bulkhead: Bulkhead;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;
  private readonly onAttempt: OnAttempt | undefined;
  private readonly ledger: CallLedger | undefined;
  private readonly maxErrorBodyChars: number;
  private readonly userAgent: string;
  private readonly random: () => number;
  private closed = false;
  /** Gives the origin back to the undici instrumentation (see self-traced-origins.ts). */
  private readonly releaseOrigin: () => void;

  constructor(options: DownstreamClientOptions) {
    this.api = options.api;
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`${options.api}: baseUrl is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`${options.api}: baseUrl must be http(s)`);
    }
    if (url.username || url.password) {
      throw new TypeError(`${options.api}: baseUrl must not carry credentials`);
    }
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.credential = options.credential;
    this.policy = compileRetryPolicy(options.retry);
    const maxConcurrent = options.bulkhead?.maxConcurrent ?? 64;
    this.bulkhead = new Bulkhead({
      name: options.api,
      maxConcurrent,
      maxQueue: options.bulkhead?.maxQueue ?? Infinity,
    });
    this.bucket = new TokenBucket(
      options.rateLimit
        ? { ratePerSecond: options.rateLimit.ratePerSecond, burst: options.rateLimit.burst }
        : { ratePerSecond: Infinity },
    );
    this.breaker =
      options.circuitBreaker === false
        ? undefined
        : new CircuitBreaker({ name: options.api, ...options.circuitBreaker });
    this.headersTimeout = options.timeouts?.headersMs ?? 5_000;
    this.bodyTimeout = options.timeouts?.bodyMs ?? 5_000;
    this.releaseOrigin = claimSelfTracedOrigin(this.origin);
    this.pool = new Pool(this.origin, {
      // One connection per bulkhead slot: an attempt never waits for a socket it was promised.
      connections: maxConcurrent,
      pipelining: options.pool?.pipelining ?? 1,
      keepAliveTimeout: options.pool?.keepAliveTimeoutMs ?? 30_000,
      connectTimeout: options.timeouts?.connectMs ?? 2_000,
      headersTimeout: this.headersTimeout,
      bodyTimeout: this.bodyTimeout,
    });
    this.onAttempt = options.onAttempt;
    this.ledger = options.ledger;
    this.maxErrorBodyChars = options.maxErrorBodyChars ?? 1024;
    this.userAgent = options.userAgent ?? 'fanout-downstream/0.1';
    this.random = options.random ?? Math.random;
  }

  /** Subscribes to circuit state changes (pause consumption on `open`, resume after). */
  onCircuitChange(listener: (change: CircuitStateChange) => void): () => void {
    if (!this.breaker) return () => {};
    this.breaker.on('stateChange', listener);
    return () => this.breaker?.off('stateChange', listener);
  }

  async call<T>(options: CallOptions<T>): Promise<CallResult<T>> {
    if (this.closed) {
      throw new NonRetriableError('FANOUT_API_NETWORK', `${this.api}: client is closed`, {
        details: { api: this.api, operation: options.operation },
      });
    }
    if (options.method !== 'GET' && !options.idempotencyKey) {
      throw new TypeError(`${this.api}.${options.operation}: a write needs an idempotencyKey`);
    }
    // Looked up per call, not at module load: telemetry may start (or restart) after import.
    // Not made active: the span is handed down explicitly (attempts, the HTTP exchange), which
    // saves a context switch per call.
    const span = trace.getTracer('@fanout/downstream').startSpan(
      `${this.api} ${options.operation}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'fanout.api': this.api,
          'fanout.api.operation': options.operation,
          'http.request.method': options.method,
          ...(options.idempotencyKey ? { 'fanout.idempotency_key': options.idempotencyKey } : {}),
        },
      },
      context.active(),
    );
    try {
      const result = await this.callWithRetries(options, span);
      if (span.isRecording()) {
        span.setAttribute('fanout.api.attempts', result.attempts);
        span.setAttribute('http.response.status_code', result.status);
        if (result.replayed) span.setAttribute('fanout.api.replayed', true);
      }
      return result;
    } catch (error) {
      if (error instanceof FanoutError) {
        span.setAttribute('error.type', error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
        const attempts = error.details.attempts;
        if (typeof attempts === 'number') span.setAttribute('fanout.api.attempts', attempts);
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      throw error;
    } finally {
      span.end();
    }
  }

  /** Stops the pool after in-flight requests finish; pending waits are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breaker?.dispose();
    this.bucket.close(
      new RetriableError('FANOUT_API_NETWORK', `${this.api}: client closed while waiting`),
    );
    await this.pool.close();
    this.releaseOrigin();
  }

  private async callWithRetries<T>(options: CallOptions<T>, span: Span): Promise<CallResult<T>> {
    const startedAt = Date.now();
    for (let attempt = 1; ; attempt += 1) {
      if (this.closed && attempt > 1) {
        // Shutting down: the event will be redelivered, so stop here rather than retry.
        throw new RetriableError(
          'FANOUT_API_NETWORK',
          `${this.api}: client closed during retries`,
          {
            details: { api: this.api, operation: options.operation, attempts: attempt - 1 },
          },
        );
      }
      const timing = { sentAt: Date.now(), answeredAt: Date.now() };
      const outcome = await this.attemptOnce(options, attempt, timing, span);
      // Latency of the HTTP exchange only: time spent queued for a token or a bulkhead slot
      // is the client's, not the API's.
      const attemptStart = timing.sentAt;
      const latencyMs = Math.max(0, timing.answeredAt - timing.sentAt);
      if (outcome.ok) {
        this.report(options, span, attempt, attemptStart, latencyMs, outcome.status, 'success');
        return {
          status: outcome.status,
          data: outcome.data,
          attempts: attempt,
          replayed: outcome.replayed,
        };
      }
      const { error, status, retryAfterMs } = outcome.failure;
      error.details.attempts = attempt;
      const decision = decideRetry(
        this.policy,
        { error, attempt, elapsedMs: Date.now() - startedAt, retryAfterMs },
        this.random,
      );
      // The circuit refusing a call is not worth waiting for in-process: it stays open for
      // seconds, and the consumer pauses on the state change anyway.
      const retry = decision.retry && error.code !== 'FANOUT_API_CIRCUIT_OPEN';
      this.report(
        options,
        span,
        attempt,
        attemptStart,
        latencyMs,
        status,
        retry ? 'retry' : 'failed',
        error.code,
      );
      if (!retry || !decision.retry) {
        if (!decision.retry) error.details.gaveUp = decision.reason;
        throw error;
      }
      span.addEvent('retry', {
        'fanout.api.attempt': attempt,
        'fanout.api.retry_delay_ms': decision.delayMs,
        'error.type': error.code,
      });
      await sleep(decision.delayMs, undefined, options.signal ? { signal: options.signal } : {});
    }
  }

  private async attemptOnce<T>(
    options: CallOptions<T>,
    attempt: number,
    timing: { sentAt: number; answeredAt: number },
    callSpan: Span,
  ): Promise<
    | { ok: true; status: number; data: T; replayed: boolean }
    | { ok: false; failure: AttemptFailure }
  > {
    const context = { api: this.api, operation: options.operation, attempt };
    const permit = this.breaker?.tryAcquire();
    if (this.breaker && !permit) {
      return {
        ok: false,
        failure: {
          error: new RetriableError(
            'FANOUT_API_CIRCUIT_OPEN',
            `${this.api}: circuit ${this.breaker.state}, call refused`,
            { details: { ...context, circuit: this.breaker.state, retryAt: this.breaker.retryAt } },
          ),
          status: undefined,
          retryAfterMs: undefined,
        },
      };
    }
    let release: (() => void) | undefined;
    try {
      // Slot first, token second: the token (and any 429 pause) is checked right before the
      // request goes out, so calls queued for a slot during a 429 still wait out Retry-After.
      release = await this.bulkhead.acquire();
      await this.bucket.take(options.signal);
      timing.sentAt = Date.now();
      timing.answeredAt = timing.sentAt;
      const response = await this.send(options, callSpan);
      timing.answeredAt = Date.now();
      const failure = options.acceptStatus?.includes(response.status)
        ? undefined
        : this.classifyStatus(response, context);
      if (failure) {
        if (failure.error.code === 'FANOUT_API_RATE_LIMITED') {
          // Everyone calling this API waits, not only this caller: that is what 429 asks.
          permit?.neutral();
          if (failure.retryAfterMs !== undefined) {
            this.bucket.pauseUntil(Date.now() + failure.retryAfterMs);
          }
        } else if (failure.error.retriable) permit?.failure();
        else permit?.success();
        return { ok: false, failure };
      }
      const parsed = this.parse(response, options, context);
      if (!parsed.ok) {
        permit?.failure();
        return {
          ok: false,
          failure: { error: parsed.error, status: response.status, retryAfterMs: undefined },
        };
      }
      permit?.success();
      return {
        ok: true,
        status: response.status,
        data: parsed.data,
        replayed: response.headers['idempotent-replayed'] === 'true',
      };
    } catch (error) {
      timing.answeredAt = Date.now();
      if (options.signal?.aborted) {
        permit?.neutral();
        throw options.signal.reason;
      }
      if (error instanceof FanoutError) {
        // Bulkhead full: the API was never called.
        permit?.neutral();
        return { ok: false, failure: { error, status: undefined, retryAfterMs: undefined } };
      }
      permit?.failure();
      return {
        ok: false,
        failure: {
          error: this.networkError(error, context),
          status: undefined,
          retryAfterMs: undefined,
        },
      };
    } finally {
      release?.();
    }
  }

  private async send(
    options: CallOptions<unknown>,
    callSpan: Span,
  ): Promise<{ status: number; headers: Record<string, string | undefined>; text: string }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    if (this.credential) headers.authorization = `Bearer ${this.credential.reveal()}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const path = this.basePath + options.path + queryString(options.query);
    const request: Dispatcher.RequestOptions = {
      path,
      method: options.method,
      headers,
      body,
      headersTimeout: this.headersTimeout,
      bodyTimeout: this.bodyTimeout,
    };
    if (options.signal) request.signal = options.signal;
    const exchangeSpan = startHttpClientSpan(callSpan, {
      method: options.method,
      origin: this.origin,
      path,
      headers,
    });
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await this.pool.request(request);
      text = await response.body.text();
    } catch (error) {
      failHttpClientSpan(exchangeSpan, error);
      throw error;
    }
    endHttpClientSpan(exchangeSpan, response.statusCode);
    const flat: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      flat[name] = Array.isArray(value) ? value[0] : value;
    }
    return { status: response.statusCode, headers: flat, text };
  }

  private classifyStatus(
    response: { status: number; headers: Record<string, string | undefined>; text: string },
    context: Record<string, unknown>,
  ): AttemptFailure | undefined {
    const { status } = response;
    if (status >= 200 && status < 300) return undefined;
    const details = { ...context, status, response: this.excerpt(response.text) };
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      if (retryAfterMs !== undefined) Object.assign(details, { retryAfterMs });
      const code =
        status === 429
          ? 'FANOUT_API_RATE_LIMITED'
          : status === 408
            ? 'FANOUT_API_TIMEOUT'
            : 'FANOUT_API_SERVER_ERROR';
      return {
        error: new RetriableError(code, `${this.api}: ${context.operation} answered ${status}`, {
          details,
        }),
        status,
        retryAfterMs,
      };
    }
    return {
      error: new NonRetriableError(
        'FANOUT_API_CLIENT_ERROR',
        `${this.api}: ${context.operation} answered ${status}`,
        { details },
      ),
      status,
      retryAfterMs: undefined,
    };
  }

  private parse<T>(
    response: { status: number; text: string },
    options: CallOptions<T>,
    context: Record<string, unknown>,
  ): { ok: true; data: T } | { ok: false; error: FanoutError } {
    const bad = (reason: string, extra: Record<string, unknown> = {}) => ({
      ok: false as const,
      error: new NonRetriableError(
        'FANOUT_API_BAD_RESPONSE',
        `${this.api}: ${context.operation} answered ${response.status} with ${reason}`,
        {
          details: {
            ...context,
            status: response.status,
            response: this.excerpt(response.text),
            ...extra,
          },
        },
      ),
    });
    let json: unknown;
    if (response.text.length === 0) {
      json = undefined;
    } else {
      try {
        json = JSON.parse(response.text);
      } catch {
        return bad('a body that is not JSON');
      }
    }
    const result = options.schema.safeParse(json);
    if (!result.success) {
      // Paths and messages only: the offending values may be personal data.
      const issues = result.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      return bad(`an unexpected body (${issues.join('; ')})`, { issues });
    }
    return { ok: true, data: result.data };
  }

  private networkError(error: unknown, context: Record<string, unknown>): FanoutError {
    const code = (error as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
    const timeout =
      name === 'UND_ERR_CONNECT_TIMEOUT' ||
      name === 'UND_ERR_HEADERS_TIMEOUT' ||
      name === 'UND_ERR_BODY_TIMEOUT';
    // The undici error is kept only by code and message: its object graph may reference the
    // request, whose headers hold the credential.
    const message = this.redact(error instanceof Error ? error.message : String(error));
    return new RetriableError(
      timeout ? 'FANOUT_API_TIMEOUT' : 'FANOUT_API_NETWORK',
      `${this.api}: ${context.operation} ${timeout ? 'timed out' : 'failed'} (${name}: ${message})`,
      { details: { ...context, cause: name } },
    );
  }

  private excerpt(text: string): string {
    const redacted = this.redact(text);
    return redacted.length > this.maxErrorBodyChars
      ? `${redacted.slice(0, this.maxErrorBodyChars)}…(${redacted.length} chars)`
      : redacted;
  }

  private redact(text: string): string {
    return this.credential ? this.credential.redact(text) : text;
  }

  private report(
    options: CallOptions<unknown>,
    span: Span,
    attempt: number,
    startedAt: number,
    latencyMs: number,
    status: number | undefined,
    outcome: CallAttempt['outcome'],
    errorCode?: string,
  ): void {
    if (!this.onAttempt && !this.ledger) return;
    const spanContext = span.spanContext();
    const record: CallAttempt = {
      api: this.api,
      operation: options.operation,
      idempotencyKey: options.idempotencyKey,
      status,
      latencyMs,
      attempt,
      traceId: trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined,
      outcome,
      errorCode,
      startedAt,
    };
    // An audit hook must never fail the call it describes.
    try {
      this.onAttempt?.(record);
    } catch {
      /* ignored by contract */
    }
    try {
      const pending = this.ledger?.record(record);
      if (pending) pending.catch(() => {});
    } catch {
      /* ignored by contract */
    }
  }
}

function queryString(query: CallOptions<unknown>['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
