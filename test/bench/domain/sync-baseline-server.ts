import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import { openDatabase } from '@fanout/service-kit';
import { API_LATENCIES_MS } from './delayed-apis';

/** The stored user an in-request API call is about. */
export interface BaselineUser {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

/** One downstream call made inside the request; rejects when the API did not accept it. */
export type BaselineApiCall = (user: BaselineUser) => Promise<void>;

/**
 * Bench-only: the design Fanout replaces. POST /users stores the user, then calls the four
 * downstream APIs inside the request, and answers only after the last one: one after another
 * (`sequential`, the default) or all at once (`parallel`, Promise.all). The answer carries
 * `x-apis-done-at` (epoch ms when the last API answered). Same validation and SQLite settings
 * as user-service; no outbox, no Kafka. `calls` replaces the default calls to `apisUrl`
 * (the delayed stand-ins of delayed-apis.ts), e.g. with calls to the sandbox APIs.
 */
export async function startSyncBaseline(options: {
  /** The delayed stand-in APIs; required unless `calls` is given. */
  apisUrl?: string;
  dbFile: string;
  port?: number;
  mode?: 'sequential' | 'parallel';
  calls?: readonly BaselineApiCall[];
}): Promise<{ app: FastifyInstance; url: string }> {
  const db = openDatabase(options.dbFile);
  db.exec(
    'CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)');
  if (!options.calls && !options.apisUrl) throw new Error('startSyncBaseline: apisUrl or calls');
  const pool = options.calls
    ? undefined
    : new Pool(options.apisUrl!, { connections: 512, pipelining: 1 });
  const calls: readonly BaselineApiCall[] =
    options.calls ??
    Object.keys(API_LATENCIES_MS).map((api) => async (user: BaselineUser) => {
      const response = await pool!.request({
        method: 'POST',
        path: `/${api}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: user.id }),
      });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${api} answered ${response.statusCode}`);
    });
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });
  app.post(
    '/users',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'name'],
          properties: {
            email: { type: 'string', format: 'email' },
            name: { type: 'string', minLength: 1 },
            locale: { type: 'string' },
            marketingConsent: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { email: string; name: string };
      const user = {
        id: randomUUID(),
        email: body.email,
        name: body.name,
        createdAt: new Date().toISOString(),
      };
      insert.run(user.id, user.email, user.name, user.createdAt);
      if (options.mode === 'parallel') {
        await Promise.all(calls.map((call) => call(user)));
      } else {
        for (const call of calls) await call(user);
      }
      return reply.code(201).header('x-apis-done-at', String(Date.now())).send(user);
    },
  );
  app.addHook('onClose', async () => {
    await pool?.close();
    db.close();
  });
  const url = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  return { app, url };
}
