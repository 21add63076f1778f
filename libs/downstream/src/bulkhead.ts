import { RetriableError } from '@fanout/errors';

export interface BulkheadOptions {
  /** Names the bulkhead in errors, usually the API name. */
  name: string;
  /** Calls in flight at once. */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; beyond this, a call is refused at once. */
  maxQueue?: number;
}

/**
 * A concurrency bulkhead: at most `maxConcurrent` calls to one API run at once, so a slow API
 * cannot take every socket and every in-flight slot of the process. A full queue refuses with
 * a retriable error rather than growing without bound.
 */
export class Bulkhead {
  readonly name: string;
  private readonly limit: number;
  private readonly queueLimit: number;
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(options: BulkheadOptions) {
    if (!(options.maxConcurrent >= 1)) throw new RangeError('bulkhead: maxConcurrent must be >= 1');
    this.name = options.name;
    this.limit = options.maxConcurrent;
    this.queueLimit = options.maxQueue ?? Infinity;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Waits for a slot; the returned function frees it (calling it twice frees one slot). */
  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active += 1;
      return this.releaser();
    }
    if (this.queue.length >= this.queueLimit) {
      throw new RetriableError('FANOUT_API_BULKHEAD_FULL', `${this.name}: bulkhead queue is full`, {
        details: { api: this.name, maxConcurrent: this.limit, maxQueue: this.queueLimit },
      });
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
    return this.releaser();
  }

  /** Runs `task` inside a slot. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next waiter, so `active` does not change.
      if (next) next();
      else this.active -= 1;
    };
  }
}
