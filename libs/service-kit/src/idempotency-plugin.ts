import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdempotencyStore } from './idempotency-store';
import { ProblemError } from './problem';
import { requestFingerprint } from './request-fingerprint';

/** The Idempotency-Key claim a request holds while it runs. */
export interface IdempotencyHandle {
  readonly key: string;
  /**
   * Stores the response now. Call it inside the transaction that writes the entity, so the
   * entity and the replayable response commit together. Otherwise it is stored on send.
   */
  complete(status: number, body: unknown): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: IdempotencyHandle;
  }
}

export interface IdempotencyPluginOptions {
  store: IdempotencyStore;
  headerName?: string;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key on POST: the first request with a key runs and its response is stored; a
 * retry with the same key and body gets that response again (`Idempotent-Replayed: true`) and
 * creates nothing; the same key with another body is a 422; a duplicate that arrives while
 * the first is still running gets a 409 with Retry-After. Keys are scoped per API key and
 * route, so two clients cannot collide. A 5xx is not stored: the retry runs again.
 */
async function idempotencyPlugin(
  app: FastifyInstance,
  options: IdempotencyPluginOptions,
): Promise<void> {
  const header = (options.headerName ?? 'idempotency-key').toLowerCase();
  const { store } = options;
  const state = new WeakMap<FastifyRequest, { scope: string; key: string; completed: boolean }>();

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const raw = request.headers[header];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined || !KEY_PATTERN.test(key)) {
      throw new ProblemError(400, 'validation-failed', 'The Idempotency-Key header is not valid.', {
        errors: [
          { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
        ],
      });
    }
    const scope = `${request.apiKeyId ?? 'anonymous'} ${request.method} ${request.routeOptions.url ?? request.url}`;
    const fingerprint = requestFingerprint(request.body);
    const reservation = store.reserve(scope, key, fingerprint);
    if (reservation.reserved) {
      const entry = { scope, key, completed: false };
      state.set(request, entry);
      request.idempotency = {
        key,
        complete(status, body) {
          store.complete(
            scope,
            key,
            status,
            'application/json; charset=utf-8',
            JSON.stringify(body),
          );
          entry.completed = true;
        },
      };
      return;
    }
    const { record } = reservation;
    if (record.fingerprint !== fingerprint) {
      throw new ProblemError(
        422,
        'idempotency-key-reused',
        'This Idempotency-Key was already used with a different request body.',
        { errors: [{ field: 'Idempotency-Key', message: 'was used with a different body' }] },
      );
    }
    if (record.status === null) {
      throw new ProblemError(
        409,
        'idempotency-key-in-progress',
        'A request with this Idempotency-Key is still being processed.',
        {
          headers: { 'retry-after': '1' },
        },
      );
    }
    return reply
      .code(record.status)
      .header('idempotent-replayed', 'true')
      .type(record.contentType ?? 'application/json; charset=utf-8')
      .send(record.body ?? '');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const entry = state.get(request);
    // Stored again even when the handler completed inside its transaction: if that
    // transaction rolled back, this is what leaves the key usable (5xx) or answered (4xx).
    if (entry === undefined) return payload;
    entry.completed = true;
    if (reply.statusCode >= 500) {
      store.release(entry.scope, entry.key);
      return payload;
    }
    const contentType = String(
      reply.getHeader('content-type') ?? 'application/json; charset=utf-8',
    );
    const body =
      typeof payload === 'string'
        ? payload
        : Buffer.isBuffer(payload)
          ? payload.toString('utf8')
          : '';
    store.complete(entry.scope, entry.key, reply.statusCode, contentType, body);
    return payload;
  });
}

export const idempotency = fp(idempotencyPlugin, { name: 'fanout-idempotency', fastify: '5.x' });
