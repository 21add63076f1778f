import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, fastifyOtelPlugin, metricsText } from '@fanout/telemetry';
import { registerAdminRoutes } from './admin-routes';
import { ApiScope } from './api-scope';
import { registerAnalytics } from './apis/analytics';
import { registerCrm } from './apis/crm';
import { registerEmail } from './apis/email';
import { registerInventory } from './apis/inventory';
import { registerPayment } from './apis/payment';
import { registerSearch } from './apis/search';
import { registerShipping } from './apis/shipping';
import { API_NAMES, isApiName } from './faults';
import type { ApiName } from './faults';
import { HttpError, errorBody } from './http-error';
import { SandboxState } from './sandbox-state';

/** The key every API accepts when none is configured: a sandbox key, not a secret. */
export const DEFAULT_SANDBOX_API_KEY = 'sk_sandbox_local_development_key';

export interface SandboxOptions {
  /** 0 picks a free port (tests). Default 4000. */
  port?: number;
  host?: string;
  /**
   * Accepted bearer keys: `key` (every API) or `api=key` (one API). Default:
   * {@link DEFAULT_SANDBOX_API_KEY} for every API.
   */
  apiKeys?: readonly string[];
  /** Fastify's logger; default silent (tests). */
  logger?: FastifyBaseLogger;
  maxIdempotencyKeys?: number;
}

export interface Sandbox {
  readonly app: FastifyInstance;
  readonly state: SandboxState;
  readonly port: number;
  /** e.g. http://127.0.0.1:4000 */
  readonly url: string;
  /** An API's base URL, e.g. http://127.0.0.1:4000/crm */
  baseUrl(api: ApiName): string;
  close(): Promise<void>;
}

/** Parses `key` / `api=key` entries into the map the auth check reads. */
export function parseApiKeys(entries: readonly string[]): Map<string, Set<ApiName> | 'all'> {
  const keys = new Map<string, Set<ApiName> | 'all'>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const api = eq > 0 ? entry.slice(0, eq) : undefined;
    if (api !== undefined && isApiName(api)) {
      const key = entry.slice(eq + 1);
      const existing = keys.get(key);
      if (existing === 'all') continue;
      keys.set(key, new Set([...(existing ?? []), api]));
    } else {
      keys.set(entry, 'all');
    }
  }
  return keys;
}

/**
 * Builds and starts the sandbox: seven APIs under /<api>, the admin API under /_admin,
 * /healthz, /readyz and /metrics. In-process for tests (`createSandbox({ port: 0 })`), or as the
 * sandbox-apis service through main.ts.
 */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState(options.maxIdempotencyKeys);
  const apiKeys = parseApiKeys(options.apiKeys ?? [DEFAULT_SANDBOX_API_KEY]);
  let signalClosing!: () => void;
  const closing = new Promise<void>((resolve) => (signalClosing = resolve));

  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    // Above undici's default keep-alive, so clients close idle sockets before we do.
    keepAliveTimeout: 65_000,
    // Hung requests must not hold close() forever.
    forceCloseConnections: true,
    // No "incoming request"/"request completed" lines per call at info: the sandbox stands for
    // someone else's API and two info lines per call cost more CPU than the call itself. One
    // access line per call at debug instead (the onResponse hook below); faults, errors and the
    // admin API still log; /metrics counts every request by API and status.
    disableRequestLogging: true,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });

  await app.register(fastifyOtelPlugin());

  // The debug access line, hooked only when debug is on: at info a no-op hook per call still
  // costs a hook run. (The level is read once, at start, as LOG_LEVEL is.)
  const level = options.logger?.level;
  if (level === 'debug' || level === 'trace') {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.debug(
        { req: request, res: reply, responseTime: reply.elapsedTime },
        'request completed',
      );
      done();
    });
  }

  // Lenient like most real APIs: an empty body with a JSON content type (a DELETE or a
  // compensation POST from a generic client) reads as no body rather than a 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, 'invalid_request', 'body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.status).headers(error.headers).send(error.body());
    }
    if (error.validation) {
      return reply.code(400).send(
        errorBody(
          'invalid_request',
          `${error.validationContext ?? 'request'}${error.message.replace(/^\S+/, '')}`,
          {
            param:
              error.validation[0]?.instancePath.replace(/^\//, '').replace(/\//g, '.') || undefined,
          },
        ),
      );
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return reply.code(status).send(errorBody('invalid_request', error.message));
    }
    request.log.error({ err: error }, 'sandbox route failed');
    return reply.code(500).send(errorBody('internal_error', 'unexpected sandbox failure'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.get('/metrics', async (_request, reply) => {
    const lines = ['# TYPE sandbox_requests_total counter'];
    for (const [api, { byStatus }] of Object.entries(state.requests.stats())) {
      for (const [status, count] of Object.entries(byStatus)) {
        lines.push(`sandbox_requests_total{api="${api}",status="${status}"} ${count}`);
      }
    }
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(`${await metricsText()}${lines.join('\n')}\n`);
  });

  registerAdminRoutes(app, state);

  const register = (api: ApiName, routes: (scope: ApiScope) => { reset(): void }) =>
    app.register(
      async (scoped) => {
        const scope = new ApiScope(scoped, {
          api,
          faults: () => state.faultsOf(api),
          apiKeys,
          idempotency: state.idempotency,
          effects: state.effects,
          requests: state.requests,
          closing,
        });
        state.onReset(api, routes(scope).reset);
      },
      { prefix: `/${api}` },
    );
  await register('email', registerEmail);
  await register('crm', registerCrm);
  await register('analytics', registerAnalytics);
  await register('search', registerSearch);
  await register('inventory', (scope) => registerInventory(scope, state.stock));
  await register('payment', (scope) => registerPayment(scope, () => state.declineRules));
  await register('shipping', registerShipping);

  await app.listen({ port: options.port ?? 4000, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 4000);
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    app,
    state,
    port,
    url,
    baseUrl: (api) => `${url}/${api}`,
    close: () => {
      closed ??= (async () => {
        signalClosing();
        await app.close();
      })();
      return closed;
    },
  };
}

export { API_NAMES };
