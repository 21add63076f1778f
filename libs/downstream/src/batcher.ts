import { NonRetriableError } from '@fanout/errors';

/** One item's outcome in a bulk answer, in the order the items were sent. */
export type BatchItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatcherOptions<I, R> {
  /** A batch is sent as soon as it holds this many items. */
  maxSize: number;
  /** ...or this long after its first item arrived, whichever comes first. */
  lingerMs: number;
  /** Sends one batch; resolves with one result per item, same order. */
  flush: (items: I[]) => Promise<Array<BatchItemResult<R>>>;
}

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects single calls into bulk calls, bounded by size and linger time, and gives each caller
 * its own item's result: one item's failure rejects only that item's promise; a failure of the
 * whole bulk request rejects every item of that batch with the same error.
 */
export class Batcher<I, R> {
  private readonly maxSize: number;
  private readonly lingerMs: number;
  private readonly send: (items: I[]) => Promise<Array<BatchItemResult<R>>>;
  private pending: Array<Pending<I, R>> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(options: BatcherOptions<I, R>) {
    if (!(options.maxSize >= 1)) throw new RangeError('batcher: maxSize must be >= 1');
    if (!(options.lingerMs >= 0)) throw new RangeError('batcher: lingerMs must be >= 0');
    this.maxSize = options.maxSize;
    this.lingerMs = options.lingerMs;
    this.send = options.flush;
  }

  /** Items waiting for their batch to be sent. */
  get size(): number {
    return this.pending.length;
  }

  /** Adds an item; resolves or rejects with that item's own result. */
  add(item: I): Promise<R> {
    if (this.closed) return Promise.reject(new Error('batcher is closed'));
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize) this.flushNow();
      else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.lingerMs);
    });
  }

  /** Sends what is waiting now, without waiting for the linger time. */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxSize);
      const sending = this.dispatch(batch).finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
  }

  /** Sends what is waiting and waits for every batch in flight; later adds are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.flushNow();
    await Promise.allSettled([...this.inFlight]);
  }

  private async dispatch(batch: Array<Pending<I, R>>): Promise<void> {
    let results: Array<BatchItemResult<R>>;
    try {
      results = await this.send(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    if (!Array.isArray(results) || results.length !== batch.length) {
      const error = new NonRetriableError(
        'FANOUT_API_BAD_RESPONSE',
        `bulk answer has ${Array.isArray(results) ? results.length : 'no'} results for ${batch.length} items`,
        { details: { sent: batch.length } },
      );
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => {
      const result = results[index]!;
      if (result.ok) entry.resolve(result.value);
      else entry.reject(result.error);
    });
  }
}
