import type { Emission, SagaDefinition, StepDefinition } from './definition';
import { stages } from './definition';
import type { SagaState, StepState } from './saga-state';
import { SEEN_INPUTS_LIMIT, isTerminal } from './saga-state';

/**
 * The result of offering one input to a saga:
 * - `applied`: the new state and what to emit, to be persisted and sent together;
 * - `ignored`: a duplicate or late input; harmless, the state is unchanged;
 * - `rejected`: an input that does not belong (wrong reply type for the saga's step, or a
 *   reply nobody asked for); the caller dead-letters it with `reason`, the state is unchanged.
 */
export type Decision<C> =
  | { outcome: 'applied'; state: SagaState<C>; emit: Emission[] }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'rejected'; reason: string };

const DEFAULT_COMPENSATION_TIMEOUT_MS = 10_000;
const DEFAULT_COMPENSATION_ATTEMPTS = 3;

/**
 * A pure interpreter of a saga definition: (state, input) → (state, emissions). It does no I/O
 * and reads no clock; the coordinator passes `now`, persists the state and sends the emissions.
 * Guarantees: exactly one terminal emission per saga; every step that succeeded, or whose
 * outcome is unknown because it timed out, gets its compensation when the saga fails, in the
 * reverse order of success; duplicate and late replies never change a finished saga.
 */
export class SagaEngine<T, C> {
  private readonly groups: StepDefinition<C>[][];
  private readonly stepByReply = new Map<
    string,
    { step: StepDefinition<C>; kind: 'succeeded' | 'failed' | 'compensated' }
  >();
  private readonly stepByName = new Map<string, StepDefinition<C>>();

  constructor(readonly definition: SagaDefinition<T, C>) {
    this.groups = stages(definition as SagaDefinition<unknown, C>);
    for (const group of this.groups)
      for (const s of group) {
        this.stepByName.set(s.name, s);
        for (const t of s.succeededOn) this.stepByReply.set(t, { step: s, kind: 'succeeded' });
        for (const t of s.failedOn) this.stepByReply.set(t, { step: s, kind: 'failed' });
        for (const t of s.compensatedOn ?? [])
          this.stepByReply.set(t, { step: s, kind: 'compensated' });
      }
  }

  /** Whether this saga listens to a reply of that type. */
  handlesReply(eventType: string): boolean {
    return this.stepByReply.has(eventType);
  }

  start(trigger: T, inputId: string, now: number): Decision<C> & { outcome: 'applied' } {
    const context = this.definition.initialContext(trigger);
    const sagaId = this.definition.sagaId(trigger);
    const steps: Record<string, StepState> = {};
    for (const name of this.stepByName.keys())
      steps[name] = { status: 'pending', compensationAttempts: 0 };
    const state: SagaState<C> = {
      saga: this.definition.name,
      sagaId,
      status: 'running',
      context,
      stage: 0,
      steps,
      succeededOrder: [],
      deadline: now + this.definition.timeoutMs,
      seenInputs: [inputId],
      startedAt: now,
      updatedAt: now,
      version: 1,
    };
    const refusal = this.definition.precheck?.(context);
    if (refusal) {
      state.failure = refusal;
      return { outcome: 'applied', state, emit: [this.finish(state, 'cancelled', now)] };
    }
    return { outcome: 'applied', state, emit: this.startStage(state, 0, now) };
  }

  reply(
    current: SagaState<C>,
    eventType: string,
    payload: Record<string, unknown>,
    inputId: string,
    now: number,
  ): Decision<C> {
    const route = this.stepByReply.get(eventType);
    if (!route)
      return {
        outcome: 'rejected',
        reason: `reply type ${eventType} is not part of saga ${this.definition.name}`,
      };
    if (current.seenInputs.includes(inputId))
      return { outcome: 'ignored', reason: `duplicate reply ${inputId}` };
    const stepState = current.steps[route.step.name];
    if (!stepState)
      return {
        outcome: 'rejected',
        reason: `saga ${current.sagaId} has no step ${route.step.name}`,
      };

    if (route.kind === 'compensated') {
      if (stepState.status === 'compensating') {
        const state = this.next(current, inputId, now);
        state.steps[route.step.name] = {
          ...stepState,
          status: 'compensated',
          finishedAt: now,
          deadline: undefined,
        };
        return { outcome: 'applied', state, emit: this.advance(state, now) };
      }
      if (stepState.status === 'compensated' || stepState.status === 'compensation_unconfirmed')
        return {
          outcome: 'ignored',
          reason: `step ${route.step.name} is already ${stepState.status}`,
        };
      return {
        outcome: 'rejected',
        reason: `${eventType} acknowledges a compensation saga ${current.sagaId} never sent (step ${route.step.name} is ${stepState.status})`,
      };
    }

    if (stepState.status === 'pending')
      return {
        outcome: 'rejected',
        reason: `${eventType} answers step ${route.step.name}, which saga ${current.sagaId} has not started`,
      };
    if (stepState.status !== 'started')
      return {
        outcome: 'ignored',
        reason: `late ${eventType}: step ${route.step.name} is already ${stepState.status}`,
      };
    if (isTerminal(current))
      return { outcome: 'ignored', reason: `late ${eventType}: saga already ${current.status}` };

    const state = this.next(current, inputId, now);
    if (route.kind === 'succeeded') {
      state.steps[route.step.name] = {
        ...stepState,
        status: 'succeeded',
        finishedAt: now,
        deadline: undefined,
      };
      state.succeededOrder.push(route.step.name);
      if (route.step.collect) state.context = route.step.collect(state.context, payload);
    } else {
      state.steps[route.step.name] = {
        ...stepState,
        status: 'failed',
        finishedAt: now,
        deadline: undefined,
      };
      state.failure ??= route.step.reason?.(payload) ?? {
        code: 'STEP_FAILED',
        message: `step ${route.step.name} failed`,
        step: route.step.name,
      };
    }
    return { outcome: 'applied', state, emit: this.advance(state, now) };
  }

  /** Applies every deadline that has passed by `now`: step timeouts, the saga's own, compensation resends. */
  tick(current: SagaState<C>, now: number): Decision<C> {
    if (isTerminal(current)) return { outcome: 'ignored', reason: 'saga already ended' };
    const due = this.nextDeadline(current);
    if (due === undefined || due > now) return { outcome: 'ignored', reason: 'nothing is due' };
    const state = this.next(current, undefined, now);
    const emit: Emission[] = [];
    if (state.status === 'running') {
      const sagaExpired = state.deadline <= now;
      for (const [name, s] of Object.entries(state.steps)) {
        if (s.status !== 'started' || (!sagaExpired && (s.deadline ?? Infinity) > now)) continue;
        state.steps[name] = { ...s, status: 'timed_out', finishedAt: now, deadline: undefined };
        state.failure ??= sagaExpired
          ? {
              code: 'SAGA_TIMED_OUT',
              message: `saga did not finish within ${this.definition.timeoutMs} ms`,
              step: name,
            }
          : {
              code: 'STEP_TIMED_OUT',
              message: `step ${name} got no reply within ${this.stepByName.get(name)?.timeoutMs} ms`,
              step: name,
            };
      }
      if (sagaExpired)
        state.failure ??= {
          code: 'SAGA_TIMED_OUT',
          message: `saga did not finish within ${this.definition.timeoutMs} ms`,
        };
    } else if (state.status === 'compensating') {
      const attempts = this.definition.compensationAttempts ?? DEFAULT_COMPENSATION_ATTEMPTS;
      for (const [name, s] of Object.entries(state.steps)) {
        if (s.status !== 'compensating' || (s.deadline ?? Infinity) > now) continue;
        if (s.compensationAttempts >= attempts) {
          state.steps[name] = {
            ...s,
            status: 'compensation_unconfirmed',
            deadline: undefined,
            finishedAt: now,
          };
        } else {
          const definition = this.stepByName.get(name)!;
          state.steps[name] = {
            ...s,
            compensationAttempts: s.compensationAttempts + 1,
            deadline: now + this.compensationTimeout(),
          };
          emit.push(this.compensationOf(definition, state));
        }
      }
    }
    return { outcome: 'applied', state, emit: [...emit, ...this.advance(state, now)] };
  }

  /** The earliest moment `tick` has work to do, or undefined for a finished saga. */
  nextDeadline(state: SagaState<C>): number | undefined {
    if (isTerminal(state)) return undefined;
    let earliest = state.status === 'running' ? state.deadline : Infinity;
    for (const s of Object.values(state.steps))
      if (s.deadline !== undefined && s.deadline < earliest) earliest = s.deadline;
    return Number.isFinite(earliest) ? earliest : undefined;
  }

  private next(current: SagaState<C>, inputId: string | undefined, now: number): SagaState<C> {
    const seenInputs =
      inputId === undefined
        ? [...current.seenInputs]
        : [...current.seenInputs, inputId].slice(-SEEN_INPUTS_LIMIT);
    return {
      ...current,
      steps: { ...current.steps },
      succeededOrder: [...current.succeededOrder],
      seenInputs,
      updatedAt: now,
      version: current.version + 1,
    };
  }

  private startStage(state: SagaState<C>, stage: number, now: number): Emission[] {
    state.stage = stage;
    const group = this.groups[stage] ?? [];
    return group.map((s) => {
      state.steps[s.name] = {
        status: 'started',
        startedAt: now,
        deadline: now + s.timeoutMs,
        compensationAttempts: 0,
      };
      return {
        kind: 'command',
        step: s.name,
        eventType: s.action.eventType,
        payload: s.action.build(state.context, state.sagaId),
      };
    });
  }

  /** Moves the saga on after a change: next stage, completion, compensation or cancellation. */
  private advance(state: SagaState<C>, now: number): Emission[] {
    if (state.status === 'running') {
      const group = this.groups[state.stage] ?? [];
      const statuses = group.map((s) => state.steps[s.name]?.status);
      if (statuses.includes('started')) return []; // wait for the whole group before deciding
      if (state.failure === undefined) {
        if (state.stage + 1 < this.groups.length)
          return this.startStage(state, state.stage + 1, now);
        return [this.finish(state, 'completed', now)];
      }
      return this.beginCompensation(state, now);
    }
    if (state.status === 'compensating') {
      const waiting = Object.values(state.steps).some((s) => s.status === 'compensating');
      if (!waiting) return [this.finish(state, 'cancelled', now)];
    }
    return [];
  }

  private beginCompensation(state: SagaState<C>, now: number): Emission[] {
    // Steps whose outcome is unknown (timed out) are undone first, then the ones that
    // succeeded, most recent first. Participants accept a compensation without its action.
    const order = this.compensationOrder(state);
    const emit: Emission[] = [];
    for (const name of order) {
      const definition = this.stepByName.get(name)!;
      if (!definition.compensation) continue;
      state.steps[name] = {
        ...state.steps[name]!,
        status: 'compensating',
        compensationAttempts: 1,
        deadline: now + this.compensationTimeout(),
      };
      emit.push(this.compensationOf(definition, state));
    }
    state.status = 'compensating';
    if (emit.length === 0) return [this.finish(state, 'cancelled', now)];
    return emit;
  }

  /**
   * Timed-out steps (outcome unknown) first, then the succeeded ones, most recent first. Stable
   * once compensation began: a step that did not succeed but is being (or was) compensated can
   * only have timed out.
   */
  private compensationOrder(state: SagaState<C>): string[] {
    const unknownOutcome = new Set([
      'timed_out',
      'compensating',
      'compensated',
      'compensation_unconfirmed',
    ]);
    const timedOut = Object.entries(state.steps)
      .filter(([name, s]) => unknownOutcome.has(s.status) && !state.succeededOrder.includes(name))
      .map(([name]) => name);
    return [...timedOut, ...[...state.succeededOrder].reverse()];
  }

  private compensationOf(definition: StepDefinition<C>, state: SagaState<C>): Emission {
    const compensation = definition.compensation!;
    return {
      kind: 'compensation',
      step: definition.name,
      eventType: compensation.eventType,
      payload: compensation.build(state.context, state.sagaId),
    };
  }

  private compensationTimeout(): number {
    return this.definition.compensationTimeoutMs ?? DEFAULT_COMPENSATION_TIMEOUT_MS;
  }

  private finish(state: SagaState<C>, status: 'completed' | 'cancelled', now: number): Emission {
    state.status = status;
    state.endedAt = now;
    for (const [name, s] of Object.entries(state.steps))
      if (s.deadline !== undefined) state.steps[name] = { ...s, deadline: undefined };
    if (status === 'completed') {
      return {
        kind: 'terminal',
        eventType: this.definition.completed.eventType,
        payload: this.definition.completed.build(state.context, state.sagaId),
      };
    }
    const reason = state.failure ?? { code: 'UNKNOWN', message: 'saga cancelled' };
    return {
      kind: 'terminal',
      eventType: this.definition.cancelled.eventType,
      payload: this.definition.cancelled.build(
        state.context,
        state.sagaId,
        reason,
        this.compensationOrder(state).filter((name) => state.steps[name]?.status === 'compensated'),
      ),
    };
  }
}
