import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import { openDatabase } from '@fanout/service-kit';
import { API_LATENCIES_MS } from './delayed-apis';

/**
 * Bench-only: the design Fanout replaces. POST /users stores the user, then calls the four
 * downstream APIs one after another inside the request, and answers only after the last one.
 * Same validation and SQLite settings as user-service; no outbox, no Kafka.
 */
export async function startSyncBaseline(options: {
  apisUrl: string;
  dbFile: string;
  port?: number;
}): Promise<{ app: FastifyInstance; url: string }> {
  const db = openDatabase(options.dbFile);
  db.exec(
    'CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)');
  const pool = new Pool(options.apisUrl, { connections: 512, pipelining: 1 });
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
      for (const api of Object.keys(API_LATENCIES_MS)) {
        const response = await pool.request({
          method: 'POST',
          path: `/${api}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: user.id }),
        });
        await response.body.text();
        if (response.statusCode !== 200) throw new Error(`${api} answered ${response.statusCode}`);
      }
      return reply.code(201).send(user);
    },
  );
  app.addHook('onClose', async () => {
    await pool.close();
    db.close();
  });
  const url = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  return { app, url };
}
