import type { Span } from '@opentelemetry/api';
import { isTerminal } from '@fanout/saga';
import type { Emission, SagaState } from '@fanout/saga';
import type { CoordinatorContext } from './coordinator-options';
import type { OwnedPartition } from './owned-partition';
import { queueEmission } from './saga-emissions';
import type { AnySagaEngine } from './saga-registry';
import type { TransactionWork } from './saga-transaction';
import { encodeStoredSaga } from './stored-saga';
import type { StoredSaga } from './stored-saga';

/** Where a transition is recorded, and what caused it (null: a timer). */
export interface TransitionScope {
  owned: OwnedPartition;
  work: TransactionWork;
  now: number;
  causationId: string | null;
}

/** A saga's move from `before` to `next`, with what it emits, under the input's span. */
export interface Transition {
  key: string;
  before: SagaState<Record<string, unknown>> | undefined;
  next: StoredSaga;
  emissions: Emission[];
  parent: Span;
}

/** Queues a transition: its emissions, each with its span and trace headers, and the new state. */
export async function recordTransition(
  ctx: CoordinatorContext,
  engine: AnySagaEngine,
  scope: TransitionScope,
  transition: Transition,
): Promise<void> {
  const { owned, work, now, causationId } = scope;
  const { key, before, next, emissions, parent } = transition;
  const { state } = next;
  const saga = engine.definition.name;
  const correlationId = next.correlationId;
  const emissionScope = { work, saga, state, correlationId, causationId, now, parent };
  for (const [index, emission] of emissions.entries()) {
    await queueEmission(ctx, emissionScope, emission, index);
  }
  work.changes.set(key, next);
  work.records.push({
    topic: ctx.options.topics.state,
    message: { key, value: encodeStoredSaga(next), partition: owned.partition },
  });
  if (isTerminal(state) && !(before && isTerminal(before))) {
    const seconds = ((state.endedAt ?? now) - state.startedAt) / 1_000;
    work.finished.push({ saga, outcome: state.status, seconds });
    ctx.log.info(
      {
        saga,
        sagaId: state.sagaId,
        outcome: state.status,
        reason: state.failure?.code,
        durationMs: seconds * 1_000,
      },
      `saga ${state.status}`,
    );
  }
}
