import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '@fanout/service-kit';
import { createLogger } from '@fanout/telemetry';
import { API_KEY_COOKIE, consoleRoutes } from './console-routes';
import { ConsoleView } from './console-view';
import type { DeadLetterReplayer } from './dead-letter-replayer';

const KEY = 'console-test-key-0001';

describe('console routes', () => {
  let app: FastifyInstance;
  const replayed: string[][] = [];

  beforeAll(async () => {
    const server = await createHttpServer({
      logger: createLogger({ name: 'console-test', level: 'silent' }),
      apiKeys: [KEY],
      apiKeyCookie: API_KEY_COOKIE,
    });
    app = server.app;
    const replayer = {
      replay: async (ids: string[]) => {
        replayed.push(ids);
        return { replayed: [], failed: [] };
      },
    } as unknown as DeadLetterReplayer;
    await consoleRoutes(app, {
      view: new ConsoleView(':memory:'),
      codec: { decode: async () => ({ eventType: 'x', value: null, schemaId: 1 }) },
      jaeger: { trace: async () => undefined } as never,
      replayer,
      health: { snapshot: async () => ({ at: 0, lag: [], breakers: [], error: null }) } as never,
      feed: { stats: { topics: 0, recordsRead: 0, lastBatchAt: null } },
      apis: ['email', 'crm'],
      apiKeys: [KEY],
    });
    await app.ready();
  });

  afterAll(() => app.close());

  const replay = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/dead-letters/replay',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: 'id=crm-consumer.dlq%3A0%3A1&id=crm-consumer.dlq%3A0%3A2',
    });

  it('refuses a replay without a key (401) and with a wrong key (403), replaying nothing', async () => {
    expect((await replay({})).statusCode).toBe(401);
    expect((await replay({ 'x-api-key': 'wrong-key-wrong-key' })).statusCode).toBe(403);
    expect((await replay({ cookie: `${API_KEY_COOKIE}=wrong-key-wrong-key` })).statusCode).toBe(
      403,
    );
    expect(replayed).toEqual([]);
  });

  it('replays a selection with the key in the header or in the sign-in cookie', async () => {
    expect((await replay({ 'x-api-key': KEY })).statusCode).toBe(303);
    expect((await replay({ cookie: `${API_KEY_COOKIE}=${KEY}` })).statusCode).toBe(303);
    expect(replayed.at(-1)).toEqual(['crm-consumer.dlq:0:1', 'crm-consumer.dlq:0:2']);
  });

  it('refuses a replay posted from another origin even with the cookie', async () => {
    const response = await replay({
      cookie: `${API_KEY_COOKIE}=${KEY}`,
      origin: 'https://evil.example',
    });
    expect(response.statusCode).toBe(403);
  });

  it('sends a browser without a key to sign in, and signing in sets an HttpOnly SameSite=Strict cookie', async () => {
    const page = await app.inject({ method: 'GET', url: '/dead-letters' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fdead-letters');
    const wrong = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'apiKey=not-the-key-at-all&next=%2Fdead-letters',
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const signIn = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `apiKey=${KEY}&next=%2Fdead-letters`,
    });
    expect(signIn.statusCode).toBe(303);
    expect(signIn.headers.location).toBe('/dead-letters');
    expect(String(signIn.headers['set-cookie'])).toMatch(
      /^fanout_console_key=.+; Path=\/; HttpOnly; SameSite=Strict/,
    );
    const after = await app.inject({
      method: 'GET',
      url: '/dead-letters',
      headers: { cookie: `${API_KEY_COOKIE}=${KEY}` },
    });
    expect(after.statusCode).toBe(200);
    expect(after.headers['content-type']).toContain('text/html');
  });

  it('follows only local paths after sign-in', async () => {
    const signIn = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `apiKey=${KEY}&next=${encodeURIComponent('//evil.example/x')}`,
    });
    expect(signIn.headers.location).toBe('/events');
  });
});
