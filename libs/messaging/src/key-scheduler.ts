/**
 * Runs tasks with at most `limit` admitted at once, one at a time per key, in submission
 * order per key. Different keys run concurrently, so one slow key does not serialize the
 * partition; the same key never overtakes itself, which is the per-key order guarantee.
 *
 * `submit` resolves when the task is admitted (not when it finishes): a dispatcher awaiting
 * it is held back while the window is full, which is the runtime's backpressure.
 */
export class KeyScheduler {
  private admitted = 0;
  private readonly tails = new Map<string, Promise<void>>();
  private slotWaiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be ≥ 1');
  }

  get inFlight(): number {
    return this.admitted;
  }

  get full(): boolean {
    return this.admitted >= this.limit;
  }

  /** Admits `task` behind earlier tasks of `key`. The task must not throw. */
  async submit(key: string, task: () => Promise<void>): Promise<void> {
    while (this.admitted >= this.limit) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.admitted += 1;
    const previous = this.tails.get(key);
    const run: Promise<void> = (previous ? previous.then(task) : task()).then(
      (): void => this.release(key, run),
      (): void => this.release(key, run),
    );
    this.tails.set(key, run);
  }

  /** Resolves once every admitted task has finished. */
  drain(): Promise<void> {
    if (this.admitted === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private release(key: string, run: Promise<void>): void {
    this.admitted -= 1;
    if (this.tails.get(key) === run) this.tails.delete(key);
    const waiter = this.slotWaiters.shift();
    if (waiter) waiter();
    if (this.admitted === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
