import { z } from 'zod';
import { Batcher } from '../batcher';
import type { BatchItemResult } from '../batcher';
import type { CallResult, DownstreamClient } from '../client';
import { idempotencyKey as deriveKey } from '../idempotency-key';
import { bulkItemError } from './bulk-item-error';

export interface TrackInput {
  event: string;
  user_id?: string;
  anonymous_id?: string;
  properties?: Record<string, unknown>;
  /** ISO 8601; when the event happened. */
  timestamp?: string;
}

const trackSchema = z.object({ id: z.string(), status: z.string() });
const batchSchema = z.object({
  results: z.array(
    z.object({
      index: z.number().int().min(0),
      status: z.number().int(),
      id: z.string().optional(),
      replayed: z.boolean().optional(),
      error: z.unknown().optional(),
    }),
  ),
});
export type TrackResult = { id: string; replayed: boolean };

/** The analytics API: `track` one event, or `batch` many with a result per item. */
export class AnalyticsApi {
  constructor(readonly client: DownstreamClient) {}

  track(
    input: TrackInput,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof trackSchema>>> {
    return this.client.call({
      operation: 'track',
      method: 'POST',
      path: '/v1/track',
      body: input,
      idempotencyKey,
      schema: trackSchema,
    });
  }

  /**
   * Sends up to 500 events in one request; each item carries its own idempotency key, so a
   * redelivered event is not counted twice even when it lands in a different batch.
   */
  async batch(
    items: ReadonlyArray<{ input: TrackInput; idempotencyKey: string }>,
  ): Promise<Array<BatchItemResult<TrackResult>>> {
    const result = await this.client.call({
      operation: 'batch',
      method: 'POST',
      path: '/v1/batch',
      body: {
        batch: items.map((item) => ({ ...item.input, idempotency_key: item.idempotencyKey })),
      },
      // Same items, same key: a retried batch is replayed whole.
      idempotencyKey: deriveKey(
        items.map((item) => item.idempotencyKey).join(','),
        'analytics.batch',
      ),
      schema: batchSchema,
    });
    const byIndex = new Map(result.data.results.map((r) => [r.index, r]));
    return items.map((_, index): BatchItemResult<TrackResult> => {
      const item = byIndex.get(index);
      if (!item) {
        return {
          ok: false,
          error: bulkItemError('analytics', 'batch', {
            status: 502,
            error: 'item missing from the answer',
          }),
        };
      }
      if (item.status >= 200 && item.status < 300 && item.id) {
        return { ok: true, value: { id: item.id, replayed: item.replayed ?? false } };
      }
      return { ok: false, error: bulkItemError('analytics', 'batch', item) };
    });
  }

  /** A batcher for `track` calls: callers await their own event's result. */
  trackBatcher(options: { maxSize?: number; lingerMs?: number } = {}) {
    return new Batcher<{ input: TrackInput; idempotencyKey: string }, TrackResult>({
      maxSize: Math.min(options.maxSize ?? 100, 500),
      lingerMs: options.lingerMs ?? 20,
      flush: (items) => this.batch(items),
    });
  }
}
