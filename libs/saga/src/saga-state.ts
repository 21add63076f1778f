import type { FailureReason } from './definition';

export type SagaStatus = 'running' | 'compensating' | 'completed' | 'cancelled';

export type StepStatus =
  | 'pending'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'compensating'
  | 'compensated'
  /** The compensation was sent every allowed time and never acknowledged: an operator must look. */
  | 'compensation_unconfirmed';

export interface StepState {
  status: StepStatus;
  startedAt?: number;
  finishedAt?: number;
  /** When the current wait (for the action's or the compensation's reply) runs out. */
  deadline?: number;
  compensationAttempts: number;
}

/**
 * Everything the coordinator needs to resume a saga after a crash or a rebalance. It is a plain
 * JSON value, so it can live in a compacted changelog topic keyed by saga id.
 */
export interface SagaState<C = Record<string, unknown>> {
  saga: string;
  sagaId: string;
  status: SagaStatus;
  context: C;
  /** Index of the flow group that runs now. */
  stage: number;
  steps: Record<string, StepState>;
  /** Step names in the order they succeeded; compensation runs in the reverse order. */
  succeededOrder: string[];
  failure?: FailureReason;
  /** The whole saga's deadline. */
  deadline: number;
  /** Ids of the inputs already applied (bounded), so a redelivered reply changes nothing. */
  seenInputs: string[];
  startedAt: number;
  updatedAt: number;
  endedAt?: number;
  /** Increases by one with every applied input. */
  version: number;
}

export const SEEN_INPUTS_LIMIT = 128;

export function isTerminal(state: SagaState<unknown>): boolean {
  return state.status === 'completed' || state.status === 'cancelled';
}
