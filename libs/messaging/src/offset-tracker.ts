/**
 * Tracks the offsets of one partition that were dispatched, and which of them finished, in
 * any order. `committable()` is the offset to commit: one past the end of the contiguous
 * prefix of finished offsets. Committing only that prefix is what makes a crash at any point
 * lose nothing: every offset at or after it is redelivered, and dedupe absorbs the repeats.
 *
 * Offsets are plain numbers: Kafka offsets stay below 2^53 in any realistic lifetime.
 */
export class OffsetTracker {
  /** Begun offsets in increasing order; entries before `head` are finished and released. */
  private order: number[] = [];
  private head = 0;
  /** Begun and not yet released: offset → finished? */
  private readonly state = new Map<number, boolean>();
  private unfinished = 0;
  private highestOffset = -1;
  private next: number | null = null;

  /** Marks an offset as dispatched. Offsets must be begun in increasing order. */
  begin(offset: number): void {
    if (offset <= this.highestOffset) {
      throw new RangeError(`offset ${offset} begun after ${this.highestOffset}`);
    }
    this.highestOffset = offset;
    this.order.push(offset);
    this.state.set(offset, false);
    this.unfinished += 1;
  }

  /**
   * Marks a dispatched offset as finished (handled, moved to a retry tier, or dead-lettered).
   * Unknown or already finished offsets are ignored, so a late completion is harmless.
   */
  complete(offset: number): void {
    if (this.state.get(offset) !== false) return;
    this.state.set(offset, true);
    this.unfinished -= 1;
    while (this.head < this.order.length) {
      const first = this.order[this.head]!;
      if (!this.state.get(first)) break;
      this.state.delete(first);
      this.head += 1;
      // Gaps between begun offsets (compaction, transaction markers) hold no records.
      this.next = first + 1;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** The offset to commit (the next one to consume), or null while no prefix has finished. */
  committable(): number | null {
    return this.next;
  }

  /** Begun offsets not yet committable: still running, or finished behind one that is. */
  get pending(): number {
    return this.order.length - this.head;
  }

  /** Dispatched offsets still running. */
  get inFlight(): number {
    return this.unfinished;
  }

  /** The highest offset begun so far, -1 before any. */
  get highestBegun(): number {
    return this.highestOffset;
  }

  /** True when every begun offset has finished. */
  get idle(): boolean {
    return this.unfinished === 0;
  }
}
