import Fastify from 'fastify';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { randomUUID } from 'node:crypto';
import { cookieValue, createApiKeyVerifier, presentedApiKey } from './api-key-auth';
import { GaugeRegistry } from './metrics-endpoint';
import type { MetricsEndpoint } from './metrics-endpoint';
import { PROBLEM_CONTENT_TYPE, ProblemError, buildProblem } from './problem';
import type { FieldError } from './problem';
import { ReadinessChecks } from './readiness';
import { toFieldErrors } from './validation-errors';
import type { SchemaValidationIssue } from './validation-errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without an API key and outside the rate limit (health, readiness, metrics). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** A short hash naming the caller's API key; never the key. Unset on public routes. */
    apiKeyId?: string;
  }
}

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  apiKeys: readonly string[];
  /**
   * Also take the key from this cookie when no header carries one (a browser's pages, e.g.
   * the console). The header wins. Whoever sets the cookie should make it HttpOnly and
   * SameSite=Strict, so another site cannot make the browser send it.
   */
  apiKeyCookie?: string;
  /** Largest accepted request body; larger bodies get 413. */
  bodyLimitBytes?: number;
  /** Requests per key per window; exceeding it gets 429 with Retry-After. */
  rateLimit?: { max: number; timeWindowMs: number };
  readinessTimeoutMs?: number;
  /** The Prometheus handler; defaults to a registry of the service's own gauges. */
  metrics?: MetricsEndpoint;
}

export interface HttpServer {
  app: FastifyInstance;
  readiness: ReadinessChecks;
  /** Where the service's own gauges go when no external metrics endpoint is wired. */
  gauges: GaugeRegistry;
}

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  slug: string,
  detail: string,
  errors?: FieldError[],
): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(buildProblem(status, slug, detail, request.url, errors));
}

/** Turns a route pattern (`/users/:id`) into a matcher, for telling 405 from 404. */
function patternMatcher(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((part) =>
      part.startsWith(':')
        ? '[^/]+'
        : part === '*'
          ? '.*'
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/**
 * A Fastify 5 server with the behaviour every Fanout HTTP API shares: JSON Schema validation
 * that rejects unknown fields, RFC 9457 problem+json for every error, API-key auth, a per-key
 * rate limit, a body limit, and `/healthz`, `/readyz`, `/metrics`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes ?? 16 * 1024,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming)
        ? incoming
        : randomUUID();
    },
    requestIdHeader: false,
    // One line per request (below), not Fastify's two: each line costs a redaction pass.
    disableRequestLogging: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      // Unknown fields are an error, not silently dropped; types are not coerced, so "3" is
      // not a quantity; every error is reported, so a client fixes all fields at once.
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        allErrors: true,
        useDefaults: true,
      },
    },
  });
  const readiness = new ReadinessChecks(options.readinessTimeoutMs);
  const gauges = new GaugeRegistry();
  const metrics = options.metrics ?? gauges;
  const verify = createApiKeyVerifier(options.apiKeys);

  const routePatterns = new Map<string, { matcher: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const entry = routePatterns.get(route.url) ?? {
      matcher: patternMatcher(route.url),
      methods: new Set<string>(),
    };
    for (const m of methods) entry.methods.add(m.toUpperCase());
    routePatterns.set(route.url, entry);
  });

  // Draining: a request in flight when close() begins is answered with `Connection: close`, so
  // its keep-alive socket ends with the response. Otherwise that socket turns idle only after
  // Fastify closed the idle ones, and server.close() waits for the client's keep-alive timeout
  // (seen once requests awaited the group commit instead of answering in the same tick).
  let draining = false;
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    // An access line per request is debug: at info it cost more CPU than the request itself
    // (issue 15). Refusals (4xx) stay at info and failures (5xx) at error, so what needs a look
    // is still logged; /metrics counts every request. request.log carries the route's level:
    // the probes (logLevel warn) stay quiet.
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode >= 500) request.log.error(line, 'request completed');
    else if (reply.statusCode >= 400) request.log.info(line, 'request completed');
    else request.log.debug(line, 'request completed');
    done();
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.is404 || request.routeOptions.config.public) return;
    const verdict = verify(
      presentedApiKey(request.headers) ??
        (options.apiKeyCookie
          ? cookieValue(request.headers.cookie, options.apiKeyCookie)
          : undefined),
    );
    if (verdict.kind === 'missing') {
      reply.header('www-authenticate', 'ApiKey header="X-API-Key"');
      throw new ProblemError(
        401,
        'unauthorized',
        'An API key is required in the X-API-Key header.',
      );
    }
    if (verdict.kind === 'invalid')
      throw new ProblemError(403, 'forbidden', 'The API key is not valid.');
    request.apiKeyId = verdict.keyId;
  });

  await app.register(rateLimit, {
    global: true,
    max: options.rateLimit?.max ?? 100,
    timeWindow: options.rateLimit?.timeWindowMs ?? 1_000,
    keyGenerator: (request) => request.apiKeyId ?? request.ip,
    // Public probes must never be throttled.
    allowList: (request) => request.routeOptions.config.public === true,
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = new Set<string>();
    for (const { matcher, methods } of routePatterns.values()) {
      if (matcher.test(path)) for (const m of methods) allowed.add(m);
    }
    if (allowed.size > 0) {
      reply.header('allow', [...allowed].sort().join(', '));
      return sendProblem(
        request,
        reply,
        405,
        'method-not-allowed',
        `${request.method} is not allowed on ${path}.`,
      );
    }
    return sendProblem(request, reply, 404, 'not-found', `No resource at ${path}.`);
  };

  // JSON only: without this, Fastify would hand text/plain bodies to the handlers.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError | ProblemError, request, reply) => {
    // Body parsing runs before routing falls through to 404; the missing route is the answer.
    if (request.is404) return notFound(request, reply);
    if (error instanceof ProblemError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return sendProblem(request, reply, error.status, error.slug, error.message, error.errors);
    }
    if (error.validation) {
      const errors = toFieldErrors(
        error.validation as SchemaValidationIssue[],
        error.validationContext ?? 'body',
      );
      return sendProblem(
        request,
        reply,
        400,
        'validation-failed',
        'The request is not valid.',
        errors,
      );
    }
    const status = error.statusCode ?? 500;
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(
          request,
          reply,
          413,
          'body-too-large',
          'The request body is larger than allowed.',
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(
          request,
          reply,
          415,
          'unsupported-media-type',
          'The request body must be application/json.',
        );
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(request, reply, 400, 'invalid-json', 'The request body is empty.', [
          { field: '(body)', message: 'must be a JSON object' },
        ]);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendProblem(
          request,
          reply,
          400,
          'invalid-json',
          'The request body is not valid JSON.',
          [{ field: '(body)', message: 'is not valid JSON' }],
        );
      default:
        break;
    }
    if (status === 429) {
      return sendProblem(
        request,
        reply,
        429,
        'rate-limited',
        'Too many requests for this API key; retry after the Retry-After delay.',
      );
    }
    if (error instanceof SyntaxError && status === 400) {
      return sendProblem(
        request,
        reply,
        400,
        'invalid-json',
        'The request body is not valid JSON.',
        [{ field: '(body)', message: 'is not valid JSON' }],
      );
    }
    if (status >= 400 && status < 500) {
      return sendProblem(request, reply, status, 'bad-request', error.message);
    }
    // Internals stay in the log; the client gets the request id to quote.
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(
      request,
      reply,
      500,
      'internal',
      `An unexpected error occurred; quote request id ${request.id}.`,
    );
  });

  app.setNotFoundHandler((request, reply) => notFound(request, reply));

  app.get('/healthz', { config: { public: true }, logLevel: 'warn' }, async () => ({
    status: 'ok',
  }));
  app.get('/readyz', { config: { public: true }, logLevel: 'warn' }, async (_request, reply) => {
    const report = await readiness.run();
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not ready', ...report });
  });
  app.get('/metrics', { config: { public: true }, logLevel: 'warn' }, async (_request, reply) => {
    return reply.type(metrics.contentType).send(await metrics.collect());
  });

  return { app, readiness, gauges };
}
