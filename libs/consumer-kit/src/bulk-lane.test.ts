import { describe, expect, it } from 'vitest';
import { NonRetriableError } from '@fanout/errors';
import { BulkLane } from './bulk-lane';
import { currentCallScope, runInCallScope } from './call-scope';
import type { CallScope } from './call-scope';

const scope = (eventId: string, subject: string): CallScope => ({
  eventIds: [eventId],
  subject,
  correlationId: `c-${eventId}`,
});

describe('BulkLane', () => {
  it('sends one request for many events, in the scope of all of them', async () => {
    const seen: Array<{ items: string[]; scope: CallScope | undefined }> = [];
    const lane = new BulkLane<string, string>({
      maxSize: 10,
      lingerMs: 5,
      send: async (items) => {
        seen.push({ items, scope: currentCallScope() });
        return items.map((item) => ({ ok: true as const, value: item.toUpperCase() }));
      },
    });
    const results = await Promise.all(
      ['a', 'b', 'c'].map((item) =>
        runInCallScope(scope(`e-${item}`, `k-${item}`), () => lane.add(item)),
      ),
    );
    expect(results).toEqual(['A', 'B', 'C']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.scope).toEqual({
      eventIds: ['e-a', 'e-b', 'e-c'],
      subject: null,
      correlationId: null,
    });
  });

  it('a failed item rejects only its own event', async () => {
    const lane = new BulkLane<string, string>({
      maxSize: 3,
      lingerMs: 1_000,
      send: async (items) =>
        items.map((item) =>
          item === 'bad'
            ? {
                ok: false as const,
                error: new NonRetriableError('FANOUT_API_CLIENT_ERROR', 'item answered 400'),
              }
            : { ok: true as const, value: item },
        ),
    });
    const settled = await Promise.allSettled(['x', 'bad', 'y'].map((item) => lane.add(item)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'FANOUT_API_CLIENT_ERROR',
    });
  });

  it('keeps the single subject when every item serves the same aggregate', async () => {
    let seen: CallScope | undefined;
    const lane = new BulkLane<string, string>({
      maxSize: 2,
      lingerMs: 1_000,
      send: async (items) => {
        seen = currentCallScope();
        return items.map((item) => ({ ok: true as const, value: item }));
      },
    });
    await Promise.all([
      runInCallScope(scope('e1', 'order-1'), () => lane.add('a')),
      runInCallScope(scope('e2', 'order-1'), () => lane.add('b')),
    ]);
    expect(seen?.subject).toBe('order-1');
  });
});
