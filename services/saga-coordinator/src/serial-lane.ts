/**
 * Runs tasks one at a time, in submission order. The coordinator keeps one lane per owned
 * partition, so the batches of that partition's input topics and its timer ticks never
 * interleave: each reads the state the previous one committed.
 */
export class SerialLane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task submitted so far has settled. */
  drain(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
