import { context } from '@opentelemetry/api';
import type { SqliteDatabase } from './database';

export interface GroupCommitOptions {
  /** Most pieces of work in one transaction. Default 256. */
  maxBatch?: number;
}

interface Outcome {
  ok: boolean;
  value: unknown;
}

interface Pending {
  work: () => unknown;
  ctx: ReturnType<typeof context.active>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite: the work submitted during one turn of the event loop (the requests
 * parsed in one poll phase) runs in **one** transaction, each piece inside its own savepoint,
 * and each promise settles only **after that transaction committed**. So an answer still means
 * "durably stored" (the same guarantee as one transaction per request), but a burst of N
 * requests pays one BEGIN/COMMIT and one WAL write instead of N.
 *
 * A piece that throws rolls back its own savepoint only and rejects its own promise (a unique
 * violation for one request does not touch the others). If the commit itself fails, every piece
 * of the batch is rejected: none of them was stored. Work runs in the trace context it was
 * submitted in, so an outbox row captures the request's span.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly maxBatch: number;
  private committedBatches = 0;
  private committedPieces = 0;
  /** Prepared once: better-sqlite3 transaction functions (BEGIN/COMMIT, SAVEPOINT/RELEASE). */
  private readonly inTransaction: (batch: readonly Pending[], outcomes: Outcome[]) => void;
  private readonly inSavepoint: (work: () => unknown) => unknown;

  constructor(
    private readonly db: SqliteDatabase,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    // Called inside the outer transaction, a better-sqlite3 transaction function is a SAVEPOINT.
    this.inSavepoint = db.transaction((work: () => unknown) => work());
    this.inTransaction = db.transaction((batch: readonly Pending[], outcomes: Outcome[]) => {
      if (batch.length === 1) {
        // A batch of one needs no savepoint: if its work throws, the whole transaction (that
        // piece alone) rolls back, which is what its savepoint would have done.
        const piece = batch[0]!;
        outcomes.push({ ok: true, value: context.with(piece.ctx, piece.work) });
        return;
      }
      for (const piece of batch) {
        try {
          // A throw undoes this piece's savepoint only.
          const value = context.with(piece.ctx, this.inSavepoint, undefined, piece.work);
          outcomes.push({ ok: true, value });
        } catch (error) {
          outcomes.push({ ok: false, value: error });
        }
      }
    });
  }

  /** Runs `work` in the next group transaction; resolves with its result once committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        work,
        ctx: context.active(),
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after this turn's I/O callbacks: everything parsed now joins.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Batches committed and pieces in them so far (pieces / batches = the mean group size). */
  get stats(): { batches: number; pieces: number } {
    return { batches: this.committedBatches, pieces: this.committedPieces };
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const outcomes: Outcome[] = [];
      try {
        this.inTransaction(batch, outcomes);
      } catch (error) {
        // The commit failed (nothing of the batch is stored), or the only piece threw.
        for (const piece of batch) piece.reject(error);
        continue;
      }
      this.committedBatches += 1;
      this.committedPieces += batch.length;
      batch.forEach((piece, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) piece.resolve(outcome.value);
        else piece.reject(outcome.value);
      });
    }
  }
}
