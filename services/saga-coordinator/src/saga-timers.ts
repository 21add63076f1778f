import { isTerminal } from '@fanout/saga';
import type { CoordinatorContext } from './coordinator-options';
import type { OwnedPartition } from './owned-partition';
import type { SagaRegistry } from './saga-registry';
import { TransactionWork, type SagaTransactions } from './saga-transaction';
import { extractContext, startInputSpan } from './saga-tracing';
import { recordTransition } from './saga-transition';
import type { StoredSaga } from './stored-saga';

const PURGE_INTERVAL_MS = 60_000;

/** When the saga's next timer (step or saga timeout, compensation resend) fires, if any. */
export function deadlineOf(sagas: SagaRegistry, saga: StoredSaga): number | undefined {
  return sagas.named(saga.state.saga)?.nextDeadline(saga.state);
}

export interface SagaTimersDeps {
  /** The partitions whose timers run (only the ready ones tick). */
  owned: () => Iterable<OwnedPartition>;
  transactions: SagaTransactions;
  isStopping: () => boolean;
}

/**
 * Saga timers: on every tick, each ready partition with a due deadline (or a purge due) runs
 * one transaction on its lane, through the same transactional path as inputs.
 */
export class SagaTimers {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly deps: SagaTimersDeps,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.scheduleTicks(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private scheduleTicks(): void {
    if (this.deps.isStopping()) return;
    const now = this.ctx.clock();
    for (const owned of this.deps.owned()) {
      if (owned.status !== 'ready' || owned.tickQueued) continue;
      if (!owned.hasDue(now) && now < owned.nextPurgeAt) continue;
      owned.tickQueued = true;
      owned.lane
        .run(() => this.tick(owned))
        .catch((err: unknown) =>
          this.ctx.log.error({ err, partition: owned.partition }, 'saga timer tick failed'),
        )
        .finally(() => {
          owned.tickQueued = false;
        });
    }
  }

  /** Applies due deadlines (timeouts, compensation resends) and purges long-finished sagas. */
  private async tick(owned: OwnedPartition): Promise<void> {
    const { ctx } = this;
    const { options } = ctx;
    if (owned.status !== 'ready') return;
    const now = ctx.clock();
    const work = new TransactionWork(owned);
    for (const key of owned.due(now)) {
      const current = owned.sagas.get(key);
      const engine = current && options.sagas.named(current.state.saga);
      if (!current || !engine) continue;
      const decision = engine.tick(current.state, now);
      if (decision.outcome !== 'applied') continue;
      const span = startInputSpan(
        `saga ${engine.definition.name} timer`,
        extractContext(current.trace),
        {
          'fanout.saga.name': engine.definition.name,
          'fanout.saga.id': current.state.sagaId,
          'fanout.saga.reason': decision.state.failure?.code ?? 'deadline',
        },
      );
      work.spans.push(span);
      await recordTransition(
        ctx,
        engine,
        { owned, work, now, causationId: null },
        {
          key,
          before: current.state,
          next: { ...current, state: decision.state },
          emissions: decision.emit,
          parent: span,
        },
      );
    }
    if (now >= owned.nextPurgeAt) {
      owned.nextPurgeAt = now + PURGE_INTERVAL_MS;
      const retention = options.terminalRetentionMs ?? 7 * 24 * 3_600_000;
      for (const [key, saga] of owned.sagas) {
        if (
          !isTerminal(saga.state) ||
          (saga.state.endedAt ?? now) + retention > now ||
          work.changes.has(key)
        )
          continue;
        work.changes.set(key, null);
        work.records.push({
          topic: options.topics.state,
          message: { key, value: null, partition: owned.partition },
        });
      }
    }
    if (work.records.length === 0) return;
    await this.deps.transactions.commit(owned, work);
  }
}
