import { z } from 'zod';
import { Batcher } from '../batcher';
import type { BatchItemResult } from '../batcher';
import type { CallResult, DownstreamClient } from '../client';
import { idempotencyKey as deriveKey } from '../idempotency-key';
import { bulkItemError } from './bulk-item-error';

export type SearchOperation =
  | { action: 'upsert'; id: string; document: Record<string, unknown>; index?: string }
  | { action: 'delete'; id: string };

const upsertSchema = z.object({
  id: z.string(),
  version: z.number(),
  result: z.enum(['created', 'updated']),
});
const deleteSchema = z.object({ id: z.string(), result: z.enum(['deleted', 'not_found']) });
const bulkSchema = z.object({
  items: z.array(
    z.object({
      index: z.number().int().min(0),
      status: z.number().int(),
      id: z.string().optional(),
      result: z.string().optional(),
      replayed: z.boolean().optional(),
      error: z.unknown().optional(),
    }),
  ),
});
export type SearchItemResult = { id: string; result: string; replayed: boolean };

const segment = (id: string) => encodeURIComponent(id);

/** The search index API: upsert or remove documents one by one or in bulk. */
export class SearchApi {
  constructor(readonly client: DownstreamClient) {}

  upsertDocument(
    id: string,
    document: Record<string, unknown>,
    idempotencyKey: string,
    index?: string,
  ): Promise<CallResult<z.infer<typeof upsertSchema>>> {
    return this.client.call({
      operation: 'upsertDocument',
      method: 'PUT',
      path: `/v1/documents/${segment(id)}`,
      body: index ? { index, document } : { document },
      idempotencyKey,
      schema: upsertSchema,
    });
  }

  /** Removes a document; removing one that is not there is a success (`not_found`). */
  deleteDocument(
    id: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof deleteSchema>>> {
    return this.client.call({
      operation: 'deleteDocument',
      method: 'DELETE',
      path: `/v1/documents/${segment(id)}`,
      idempotencyKey,
      schema: deleteSchema,
    });
  }

  /** Up to 1000 operations in one request, a result per operation, same order. */
  async bulk(
    items: ReadonlyArray<{ operation: SearchOperation; idempotencyKey: string }>,
  ): Promise<Array<BatchItemResult<SearchItemResult>>> {
    const result = await this.client.call({
      operation: 'bulk',
      method: 'POST',
      path: '/v1/bulk',
      body: {
        operations: items.map((item) => ({
          ...item.operation,
          idempotency_key: item.idempotencyKey,
        })),
      },
      idempotencyKey: deriveKey(items.map((item) => item.idempotencyKey).join(','), 'search.bulk'),
      schema: bulkSchema,
    });
    const byIndex = new Map(result.data.items.map((r) => [r.index, r]));
    return items.map((item, index): BatchItemResult<SearchItemResult> => {
      const answer = byIndex.get(index);
      if (!answer) {
        return {
          ok: false,
          error: bulkItemError('search', 'bulk', {
            status: 502,
            error: 'item missing from the answer',
          }),
        };
      }
      if (answer.status >= 200 && answer.status < 300) {
        return {
          ok: true,
          value: {
            id: answer.id ?? item.operation.id,
            result: answer.result ?? 'ok',
            replayed: answer.replayed ?? false,
          },
        };
      }
      return { ok: false, error: bulkItemError('search', 'bulk', answer) };
    });
  }

  /** A batcher for single operations: callers await their own operation's result. */
  bulkBatcher(options: { maxSize?: number; lingerMs?: number } = {}) {
    return new Batcher<{ operation: SearchOperation; idempotencyKey: string }, SearchItemResult>({
      maxSize: Math.min(options.maxSize ?? 200, 1000),
      lingerMs: options.lingerMs ?? 20,
      flush: (items) => this.bulk(items),
    });
  }
}
