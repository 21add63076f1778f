import { createHash } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { EffectsRecord } from './effects-record';
import type { ApiName, Faults } from './faults';
import { HttpError, errorBody } from './http-error';
import type { IdempotencyStore } from './idempotency-store';
import { requestFingerprint } from './idempotency-store';
import { sampleLatency } from './latency';
import type { RequestLog } from './request-log';
import { ServerRateLimiter } from './server-rate-limiter';

/** What a route handler sees: parsed input and the caller's identity (never the key). */
export interface ApiRequest {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
  /** A short hash of the caller's API key: scopes idempotency keys per caller. */
  callerId: string;
  /** The request's Idempotency-Key (writes only). */
  idempotencyKey: string;
}

export interface EffectSpec {
  operation: string;
  subject: string;
  resourceId?: string | undefined;
  /** For bulk items: the item's own key; defaults to the request's Idempotency-Key. */
  idempotencyKey?: string;
}

export interface ApiResult {
  status: number;
  body: unknown;
  /** State changes this request made; none for replays, reads and no-op compensations. */
  effects?: EffectSpec[];
}

/** Per-request fault decisions taken in onRequest and applied after a write ran. */
interface RequestFaults {
  label: string | undefined;
  errorAfter: number | undefined;
  hangAfter: { afterMs: number | null } | undefined;
  replayed: boolean;
  /** The bearer key presented (admit checked it), parsed once per request. */
  presented: string | undefined;
  /** The request span when it records (sampled), else undefined: no attribute work unsampled. */
  span: Span | undefined;
}

/** admit's outcome: go on to the route, or the reply was sent (a refusal or a fault). */
const PASS = undefined;
const SENT = 1;
type Admission = typeof PASS | typeof SENT;

const FAULTS = Symbol('sandbox.faults');
type SandboxRequest = FastifyRequest & { [FAULTS]?: RequestFaults };

export interface ApiScopeDeps {
  api: ApiName;
  faults: () => Faults;
  apiKeys: ReadonlyMap<string, ReadonlySet<ApiName> | 'all'>;
  idempotency: IdempotencyStore;
  effects: EffectsRecord;
  requests: RequestLog;
  /** Resolves when the sandbox closes: hung requests stop hanging then. */
  closing: Promise<void>;
}

/**
 * The frame every API shares, as a Fastify scope under `/<api>`: outage, bearer auth, rate
 * limit, latency, injected errors and hangs, Idempotency-Key handling and the effects record.
 * API modules only declare routes and their pure state changes.
 */
export class ApiScope {
  private limiter: { config: Faults['rateLimit']; bucket: ServerRateLimiter } | undefined;
  private readonly callerIds = new Map<string, string>();

  constructor(
    readonly app: FastifyInstance,
    private readonly deps: ApiScopeDeps,
  ) {
    // Callback-style, so a request that passes every check (the common case) costs no promise:
    // done() continues to the route; a refusal or fault has sent its reply and never calls it.
    app.addHook('onRequest', (request, reply, done) => {
      let outcome: Admission | Promise<Admission>;
      try {
        outcome = this.admit(request as SandboxRequest, reply);
      } catch (error) {
        done(error as Error);
        return;
      }
      if (outcome === PASS) done();
      else if (outcome !== SENT)
        outcome.then(
          (settled) => {
            if (settled === PASS) done();
          },
          (error: Error) => done(error),
        );
    });
    app.addHook('onResponse', (request, reply, done) => {
      const faults = (request as SandboxRequest)[FAULTS];
      const key = request.headers['idempotency-key'];
      deps.requests.add({
        at: Date.now(),
        api: deps.api,
        method: request.method,
        path: request.url,
        status: reply.statusCode,
        idempotencyKey: typeof key === 'string' ? key : undefined,
        replayed: faults?.replayed ?? false,
        fault: faults?.label,
        durationMs: Math.round(reply.elapsedTime),
      });
      done();
    });
  }

  get api(): ApiName {
    return this.deps.api;
  }

  effects(): EffectsRecord {
    return this.deps.effects;
  }

  /** A read route (GET): faults apply, idempotency does not. */
  read(url: string, schema: FastifySchema, handler: (request: ApiRequest) => ApiResult): void {
    this.app.get(
      url,
      { schema },
      named(`${this.deps.api} GET ${url}`, async (request: FastifyRequest, reply: FastifyReply) => {
        const result = handler(this.toApiRequest(request as SandboxRequest, ''));
        return this.send(request as SandboxRequest, reply, result);
      }),
    );
  }

  /** A write route: requires an Idempotency-Key and honours it like a payment API. */
  write(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    schema: FastifySchema,
    handler: (request: ApiRequest) => ApiResult,
  ): void {
    this.app.route({
      method,
      url,
      schema,
      handler: named(
        `${this.deps.api} ${method} ${url}`,
        async (request: FastifyRequest, reply: FastifyReply) =>
          this.runWrite(request as SandboxRequest, reply, handler),
      ),
    });
  }

  /**
   * Per-item idempotency inside a bulk request: `'new'` when the item should run, the stored
   * item result when it ran before, or `'mismatch'` when the key was used for a different item.
   */
  itemIdempotency(
    callerId: string,
    itemKey: string,
    item: unknown,
  ): { kind: 'new' } | { kind: 'replay'; result: unknown } | { kind: 'mismatch' } {
    const scope = `${this.deps.api}:item:${callerId}`;
    const reservation = this.deps.idempotency.reserve(
      scope,
      itemKey,
      requestFingerprint('ITEM', '', item),
    );
    if (reservation.kind === 'replay') return { kind: 'replay', result: reservation.response.body };
    if (reservation.kind === 'new') return { kind: 'new' };
    return { kind: 'mismatch' };
  }

  completeItem(callerId: string, itemKey: string, result: unknown, stored: boolean): void {
    const scope = `${this.deps.api}:item:${callerId}`;
    if (stored) this.deps.idempotency.complete(scope, itemKey, { status: 200, body: result });
    else this.deps.idempotency.abandon(scope, itemKey);
  }

  private async runWrite(
    request: SandboxRequest,
    reply: FastifyReply,
    handler: (request: ApiRequest) => ApiResult,
  ): Promise<FastifyReply> {
    const header = request.headers['idempotency-key'];
    const key = typeof header === 'string' ? header.trim() : '';
    if (!key || key.length > 255) {
      return reply
        .code(400)
        .send(
          errorBody(
            'idempotency_key_required',
            'writes require an Idempotency-Key header of 1 to 255 characters',
          ),
        );
    }
    const callerId = this.callerId(request);
    const scope = `${this.deps.api}:${callerId}`;
    const fingerprint = requestFingerprint(request.method, request.url, request.body);
    const reservation = this.deps.idempotency.reserve(scope, key, fingerprint);
    if (reservation.kind === 'mismatch') {
      return reply
        .code(422)
        .send(
          errorBody(
            'idempotency_error',
            'this Idempotency-Key was already used with a different request',
          ),
        );
    }
    if (reservation.kind === 'in_progress') {
      return reply
        .code(409)
        .header('retry-after', '1')
        .send(
          errorBody('idempotency_conflict', 'a request with this Idempotency-Key is in progress'),
        );
    }
    if (reservation.kind === 'replay') {
      const faults = request[FAULTS];
      if (faults) faults.replayed = true;
      return this.answer(request, reply, reservation.response, true);
    }
    let result: ApiResult;
    try {
      result = handler(this.toApiRequest(request, key, callerId));
    } catch (error) {
      // A refused request changed nothing: its key stays free for a corrected retry.
      this.deps.idempotency.abandon(scope, key);
      throw error;
    }
    this.deps.idempotency.complete(scope, key, { status: result.status, body: result.body });
    for (const effect of result.effects ?? []) {
      this.deps.effects.record({
        api: this.deps.api,
        operation: effect.operation,
        idempotencyKey: effect.idempotencyKey ?? key,
        subject: effect.subject,
        resourceId: effect.resourceId,
      });
    }
    return this.answer(request, reply, result, false);
  }

  /**
   * Sends a write's answer, fresh or replayed, unless an `after`-phase fault hides it: the API
   * has acted (or looked up its stored answer), and the caller still sees a 5xx or a hang.
   */
  private async answer(
    request: SandboxRequest,
    reply: FastifyReply,
    result: { status: number; body: unknown },
    replayed: boolean,
  ): Promise<FastifyReply> {
    const faults = request[FAULTS];
    if (faults?.errorAfter !== undefined) {
      return reply
        .code(faults.errorAfter)
        .send(errorBody('internal_error', 'injected failure after the write was applied'));
    }
    if (faults?.hangAfter) {
      const outcome = await this.hang(reply, faults.hangAfter.afterMs);
      if (outcome === 'closed') return reply;
    }
    if (replayed) reply.header('idempotent-replayed', 'true');
    return this.send(request, reply, result);
  }

  private send(
    _request: SandboxRequest,
    reply: FastifyReply,
    result: { status: number; body: unknown },
  ) {
    return reply.code(result.status).send(result.body);
  }

  private toApiRequest(
    request: SandboxRequest,
    idempotencyKey: string,
    callerId = this.callerId(request),
  ): ApiRequest {
    return {
      params: (request.params ?? {}) as Record<string, string>,
      query: (request.query ?? {}) as Record<string, string | undefined>,
      body: request.body,
      callerId,
      idempotencyKey,
    };
  }

  private callerId(request: SandboxRequest): string {
    const presented = request[FAULTS]?.presented ?? bearer(request.headers.authorization) ?? '';
    // Only configured keys get this far, so the cache is as small as the key list.
    let id = this.callerIds.get(presented);
    if (id === undefined) {
      id = createHash('sha256').update(presented).digest('base64url').slice(0, 12);
      this.callerIds.set(presented, id);
    }
    return id;
  }

  /**
   * onRequest: the gauntlet every request runs before its route. Synchronous unless a latency
   * or a hang applies, so the common request allocates no promise and no closure.
   */
  private admit(request: SandboxRequest, reply: FastifyReply): Admission | Promise<Admission> {
    const faults = this.deps.faults();
    const active = trace.getActiveSpan();
    const span = active?.isRecording() ? active : undefined;
    const state: RequestFaults = {
      label: undefined,
      errorAfter: undefined,
      hangAfter: undefined,
      replayed: false,
      presented: undefined,
      span,
    };
    request[FAULTS] = state;
    span?.setAttribute('sandbox.api', this.deps.api);
    const now = Date.now();

    if (faults.outage && faults.outage.until > now) {
      mark(state, 'outage');
      const retryAfter =
        faults.outage.retryAfterSeconds ??
        (Number.isFinite(faults.outage.until)
          ? Math.ceil((faults.outage.until - now) / 1000)
          : undefined);
      if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      reply
        .code(faults.outage.status)
        .send(
          errorBody('service_unavailable', `${this.deps.api} is unavailable (injected outage)`),
        );
      return SENT;
    }

    const presented = bearer(request.headers.authorization);
    if (presented === undefined) {
      reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody('authentication_required', 'send Authorization: Bearer <api key>'));
      return SENT;
    }
    const allowed = this.deps.apiKeys.get(presented);
    if (!allowed || (allowed !== 'all' && !allowed.has(this.deps.api))) {
      // Echoes the key on purpose, as some real APIs do: clients must prove they redact it.
      reply
        .code(403)
        .send(errorBody('forbidden', `API key ${presented} is not valid for ${this.deps.api}`));
      return SENT;
    }
    state.presented = presented;

    if (faults.rateLimit) {
      if (!this.limiter || this.limiter.config !== faults.rateLimit) {
        this.limiter = {
          config: faults.rateLimit,
          bucket: new ServerRateLimiter(
            faults.rateLimit.requestsPerSecond,
            faults.rateLimit.burst,
            now,
          ),
        };
      }
      const waitMs = this.limiter.bucket.take(now);
      if (waitMs > 0) {
        mark(state, 'rate_limited');
        const seconds =
          faults.rateLimit.retryAfterSeconds ??
          (Number.isFinite(waitMs) ? Math.max(1, Math.ceil(waitMs / 1000)) : 60);
        const value =
          faults.rateLimit.retryAfterFormat === 'http-date'
            ? new Date(now + seconds * 1000 + 999).toUTCString()
            : String(seconds);
        reply
          .code(429)
          .header('retry-after', value)
          .send(errorBody('rate_limited', `${this.deps.api}: too many requests`));
        return SENT;
      }
    }

    const latency = sampleLatency(faults.latency ?? undefined);
    if (latency > 0) {
      return new Promise((resolve) => setTimeout(resolve, latency)).then(() =>
        this.admitAfterLatency(request, reply, faults, state),
      );
    }
    return this.admitAfterLatency(request, reply, faults, state);
  }

  /** Injected hangs, then errors and bad responses: the part of admit after the latency. */
  private admitAfterLatency(
    request: SandboxRequest,
    reply: FastifyReply,
    faults: Faults,
    state: RequestFaults,
  ): Admission | Promise<Admission> {
    const isWrite = request.method !== 'GET';
    if (faults.hang && Math.random() < faults.hang.rate) {
      if (faults.hang.phase === 'after' && isWrite) {
        mark(state, 'hang_after');
        state.hangAfter = { afterMs: faults.hang.afterMs };
      } else {
        mark(state, 'hang');
        return this.hang(reply, faults.hang.afterMs).then((outcome) => {
          if (outcome === 'closed') {
            reply.code(504).send(errorBody('timeout', 'client went away'));
            return SENT;
          }
          return this.admitErrors(reply, faults, state, isWrite);
        });
      }
    }
    return this.admitErrors(reply, faults, state, isWrite);
  }

  private admitErrors(
    reply: FastifyReply,
    faults: Faults,
    state: RequestFaults,
    isWrite: boolean,
  ): Admission {
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      if (faults.errorPhase === 'after' && isWrite) {
        mark(state, 'error_after');
        state.errorAfter = faults.errorStatus;
      } else {
        mark(state, 'error');
        reply
          .code(faults.errorStatus)
          .send(errorBody('internal_error', `${this.deps.api}: injected failure`));
        return SENT;
      }
    }

    if (faults.badResponse && Math.random() < faults.badResponse.rate) {
      mark(state, `bad_response_${faults.badResponse.kind}`);
      if (faults.badResponse.kind === 'non_json') {
        reply
          .code(200)
          .type('text/html; charset=utf-8')
          .send('<html><body><h1>502 Bad Gateway</h1>upstream sent garbage</body></html>');
      } else {
        reply.code(200).send({});
      }
      return SENT;
    }
    return PASS;
  }

  /** Holds the response: for `afterMs`, or until the client or the sandbox goes away. */
  private hang(reply: FastifyReply, afterMs: number | null): Promise<'elapsed' | 'closed'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onClose = () => {
        if (timer) clearTimeout(timer);
        resolve('closed');
      };
      if (afterMs !== null) {
        timer = setTimeout(() => {
          reply.raw.off('close', onClose);
          resolve('elapsed');
        }, afterMs);
      }
      reply.raw.once('close', onClose);
      void this.deps.closing.then(onClose);
    });
  }
}

/** Names a route handler: Fastify's OpenTelemetry spans are named after the handler. */
function named<F extends (...args: never[]) => unknown>(name: string, fn: F): F {
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

/** Labels the request's injected fault, in the request log and on its span when sampled. */
function mark(state: RequestFaults, label: string): void {
  state.label = label;
  state.span?.setAttribute('sandbox.fault', label);
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export { HttpError };
