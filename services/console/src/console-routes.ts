import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventCodec } from '@fanout/contracts';
import { replayTarget } from '@fanout/dead-letters';
import { sagaTimeline, waterfallRows } from '@fanout/inspection';
import type { JaegerClient, WaterfallRow } from '@fanout/inspection';
import { ProblemError, createApiKeyVerifier } from '@fanout/service-kit';
import type { ConsoleView } from './console-view';
import { deadLetterRecordOf } from './dead-letter-replayer';
import type { DeadLetterReplayer } from './dead-letter-replayer';
import type { HealthProbe } from './health-probe';
import { maskHeaders, maskPayload, payloadSubject } from './masked-payload';
import { deadLetterPage, deadLettersPage } from './pages/dead-letters-page';
import type { ReplayNotice } from './pages/dead-letters-page';
import { eventPage, tracePage } from './pages/event-page';
import { eventsPage } from './pages/events-page';
import { healthPage } from './pages/health-page';
import { loginPage } from './pages/login-page';
import { sagaPage, sagasPage } from './pages/sagas-page';
import type { ViewFeed } from './view-feed';

/** The cookie a signed-in browser sends the API key in (HttpOnly, SameSite=Strict). */
export const API_KEY_COOKIE = 'fanout_console_key';

export interface ConsoleRouteDeps {
  view: ConsoleView;
  codec: Pick<EventCodec, 'decode'>;
  jaeger: JaegerClient;
  replayer: DeadLetterReplayer;
  health: HealthProbe;
  feed: Pick<ViewFeed, 'stats'>;
  apis: readonly string[];
  apiKeys: readonly string[];
}

type Form = Record<string, string | string[]>;

function parseForm(body: string): Form {
  const out: Form = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const prior = out[name];
    out[name] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  return out;
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];

/** Only local paths are followed after sign-in (no open redirect). */
const localPath = (next: unknown) =>
  typeof next === 'string' && /^\/(?!\/)/.test(next) ? next : '/events';

const HTML = 'text/html; charset=utf-8';

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** A wrong key at /login is answered late: /login is outside the per-key rate limit. */
const FAILED_LOGIN_DELAY_MS = 500;

async function traceRows(
  jaeger: JaegerClient,
  traceId: string,
): Promise<{ rows: WaterfallRow[] } | { error: string }> {
  try {
    const trace = await jaeger.trace(traceId);
    if (!trace)
      return { error: `trace ${traceId} is not in Jaeger (yet): spans may still be in flight` };
    return { rows: waterfallRows(trace) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function replayNoticeOf(query: Record<string, unknown>): ReplayNotice | undefined {
  if (query.replayed === undefined && query.failed === undefined) return undefined;
  return { replayed: Number(query.replayed ?? 0) || 0, failed: list(query.failed) };
}

/**
 * The console's pages. Every route but /login needs an API key (the kit's check, from the
 * X-API-Key header or the console's cookie); a browser without one is sent to /login, an API
 * client gets the kit's 401/403 problem. POSTs from another origin are refused.
 */
export async function consoleRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): Promise<void> {
  const verify = createApiKeyVerifier(deps.apiKeys);
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => done(null, parseForm(body as string)),
  );

  await app.register(async (pages) => {
    pages.setErrorHandler((error, request, reply) => {
      const status = error instanceof ProblemError ? error.status : 0;
      if (
        (status === 401 || status === 403) &&
        request.method === 'GET' &&
        !request.headers['x-api-key']
      )
        return reply.redirect(`/login?${new URLSearchParams({ next: request.url })}`, 303);
      // Everything else as the kit answers it (problem+json).
      throw error;
    });
    pages.addHook('onRequest', async (request) => {
      if (request.method !== 'POST') return;
      const origin = request.headers.origin;
      if (origin && origin !== 'null' && hostOf(origin) !== request.headers.host)
        throw new ProblemError(403, 'forbidden', 'Cross-origin requests may not change anything.');
    });
    registerPages(pages, deps);
  });

  app.get('/login', { config: { public: true } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    return reply.type(HTML).send(loginPage(localPath(query.next)));
  });
  app.post('/login', { config: { public: true } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const next = localPath(form.next);
    const verdict = verify(typeof form.apiKey === 'string' ? form.apiKey : undefined);
    if (verdict.kind !== 'valid') {
      await new Promise((resolve) => setTimeout(resolve, FAILED_LOGIN_DELAY_MS));
      return reply
        .code(verdict.kind === 'missing' ? 401 : 403)
        .type(HTML)
        .send(loginPage(next, 'That API key is not valid.'));
    }
    reply.header(
      'set-cookie',
      `${API_KEY_COOKIE}=${encodeURIComponent(String(form.apiKey).trim())}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200`,
    );
    return reply.redirect(next, 303);
  });
}

function registerPages(app: FastifyInstance, deps: ConsoleRouteDeps): void {
  const { view } = deps;

  app.get('/', async (_request, reply) => reply.redirect('/events', 303));

  app.post('/logout', async (_request, reply) => {
    reply.header('set-cookie', `${API_KEY_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return reply.redirect('/login', 303);
  });

  app.get('/events', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const q = (query.q ?? '').trim().slice(0, 200);
    const before = query.before ? Number(query.before) : undefined;
    const events = view.events({ q, before: Number.isFinite(before) ? before : undefined });
    return reply.type(HTML).send(eventsPage(events, deps.apis, q));
  });

  app.get('/events/:eventId', async (request, reply) => {
    const { eventId } = request.params as { eventId: string };
    const event = view.event(eventId);
    if (!event)
      throw new ProblemError(404, 'not-found', `No event ${eventId} in the console's view (yet).`);
    const trace = event.traceId ? await traceRows(deps.jaeger, event.traceId) : null;
    return reply.type(HTML).send(
      eventPage({
        event,
        apis: deps.apis,
        states: view.apiStates(eventId, event.occurredAt),
        attempts: view.attempts(eventId),
        deadLetters: view.deadLettersOfEvent(eventId),
        replays: view.replaysOfEvent(eventId),
        trace,
      }),
    );
  });

  app.get('/traces/:traceId', async (request, reply) => {
    const { traceId } = request.params as { traceId: string };
    if (!/^[0-9a-f]{16,32}$/i.test(traceId))
      throw new ProblemError(400, 'bad-request', 'Not a trace id.');
    return reply.type(HTML).send(tracePage(traceId, await traceRows(deps.jaeger, traceId)));
  });

  app.get('/sagas', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const before = query.before ? Number(query.before) : undefined;
    return reply
      .type(HTML)
      .send(sagasPage(view.sagas(Number.isFinite(before) ? before : undefined)));
  });

  app.get('/sagas/:sagaId', async (request, reply) => {
    const { sagaId } = request.params as { sagaId: string };
    const saga = view.sagasOf(sagaId)[0];
    if (!saga)
      throw new ProblemError(404, 'not-found', `No saga ${sagaId} in the console's view (yet).`);
    const timeline = sagaTimeline(
      view.sagaVersions(saga.sagaKey),
      view.sagaMessages(sagaId).map((m) => ({ topic: m.topic, eventType: m.eventType, at: m.at })),
    );
    return reply.type(HTML).send(sagaPage(timeline));
  });

  app.get('/dead-letters', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const before = query.before ? Number(query.before) : undefined;
    return reply
      .type(HTML)
      .send(
        deadLettersPage(
          view.deadLetters(Number.isFinite(before) ? before : undefined),
          replayNoticeOf(query),
        ),
      );
  });

  app.get('/dead-letters/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const record = view.deadLetter(id);
    if (!record)
      throw new ProblemError(404, 'not-found', `No dead letter ${id} in the console's view (yet).`);
    let payload: unknown = null;
    if (record.value)
      try {
        const decoded = await deps.codec.decode(record.value);
        payload = maskPayload(decoded.value, payloadSubject(decoded.eventType));
      } catch (error) {
        payload = { undecodable: (error as Error).message };
      }
    let replayable: string | null = null;
    try {
      replayable = replayTarget(deadLetterRecordOf(record));
    } catch {
      replayable = null;
    }
    return reply.type(HTML).send(
      deadLetterPage(
        {
          record,
          headers: maskHeaders(record.headers),
          payload,
          replays: view.replaysOfDeadLetter(id),
          replayable,
        },
        replayNoticeOf(request.query as Record<string, unknown>),
      ),
    );
  });

  app.post('/dead-letters/replay', async (request: FastifyRequest, reply: FastifyReply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const ids = list(body.id ?? body.ids);
    if (ids.length === 0)
      throw new ProblemError(400, 'bad-request', 'Name at least one dead letter (id).');
    const result = await deps.replayer.replay(ids, request.apiKeyId);
    if (request.headers['content-type']?.startsWith('application/json')) return reply.send(result);
    const notice = new URLSearchParams({ replayed: String(result.replayed.length) });
    for (const f of result.failed) notice.append('failed', f);
    const back =
      ids.length === 1 ? `/dead-letters/${encodeURIComponent(ids[0]!)}` : '/dead-letters';
    return reply.redirect(`${back}?${notice}`, 303);
  });

  app.get('/health', async (_request, reply) => {
    const snapshot = await deps.health.snapshot();
    return reply
      .type(HTML)
      .send(healthPage({ snapshot, failures: view.failureCounts(), feed: deps.feed.stats }));
  });
}
