import { Batcher } from '@fanout/downstream';
import type { BatchItemResult } from '@fanout/downstream';
import { currentCallScope, runInCallScope } from './call-scope';

export interface BulkLaneOptions<I, R> {
  /** A bulk request is sent when it holds this many items... */
  maxSize: number;
  /** ...or this long after its first item arrived. */
  lingerMs: number;
  /** One bulk request; one result per item, same order (e.g. `AnalyticsApi.batch`). */
  send: (items: I[]) => Promise<Array<BatchItemResult<R>>>;
}

interface Entry<I> {
  item: I;
  eventIds: readonly string[];
  subject: string | null;
  correlationId: string | null;
}

/**
 * Many events' calls as one bulk request, each event awaiting its own item's result: a failed
 * item rejects only its own event's handler (which then retries or dead-letters alone), a failed
 * request rejects every item in it. The request runs in a call scope naming every event it
 * serves, so its ledger records list them all.
 */
export class BulkLane<I, R> {
  private readonly batcher: Batcher<Entry<I>, R>;

  constructor(options: BulkLaneOptions<I, R>) {
    this.batcher = new Batcher<Entry<I>, R>({
      maxSize: options.maxSize,
      lingerMs: options.lingerMs,
      flush: (entries) => {
        const subjects = new Set(entries.map((entry) => entry.subject));
        const [only] = subjects;
        return runInCallScope(
          {
            eventIds: entries.flatMap((entry) => entry.eventIds),
            subject: subjects.size === 1 ? (only ?? null) : null,
            correlationId: entries.length === 1 ? entries[0]!.correlationId : null,
          },
          () => options.send(entries.map((entry) => entry.item)),
        );
      },
    });
  }

  /** Queues one item for the next bulk request; resolves or rejects with its own result. */
  add(item: I): Promise<R> {
    const scope = currentCallScope();
    return this.batcher.add({
      item,
      eventIds: scope?.eventIds ?? [],
      subject: scope?.subject ?? null,
      correlationId: scope?.correlationId ?? null,
    });
  }

  /** Items waiting for their request. */
  get size(): number {
    return this.batcher.size;
  }

  /** Sends what waits and awaits every request in flight. */
  close(): Promise<void> {
    return this.batcher.close();
  }
}
