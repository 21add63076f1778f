/**
 * Sagas are declared as data: a trigger, a flow of steps (an array inside the flow is a
 * parallel group), and what to emit at the end. The engine interprets the declaration; adding a
 * saga never touches the engine.
 */

/** A message the saga sends: a command to a participant, or its terminal event. */
export interface Emission {
  kind: 'command' | 'compensation' | 'terminal';
  /** The step this emission belongs to (absent for terminal events). */
  step?: string;
  eventType: string;
  payload: Record<string, unknown>;
}

export interface FailureReason {
  /** Stable machine-readable reason, e.g. PAYMENT_DECLINED, OUT_OF_STOCK, STEP_TIMED_OUT. */
  code: string;
  message: string;
  /** The step that failed, when one did. */
  step?: string;
}

export interface MessageTemplate<C> {
  eventType: string;
  build(context: C, sagaId: string): Record<string, unknown>;
}

export interface StepDefinition<C> {
  name: string;
  /** The command that performs the step. */
  action: MessageTemplate<C>;
  /** The command that undoes it; participants must accept it before, after or without the action. */
  compensation?: MessageTemplate<C>;
  /** Reply event types that mean the step succeeded / failed / was compensated. */
  succeededOn: readonly string[];
  failedOn: readonly string[];
  compensatedOn?: readonly string[];
  /** How long to wait for a reply before the step counts as failed (STEP_TIMED_OUT). */
  timeoutMs: number;
  /** Merges a success reply into the context (e.g. an authorization id needed to void). */
  collect?(context: C, reply: Record<string, unknown>): C;
  /** Turns a failure reply into the reason the saga is cancelled with. */
  reason?(reply: Record<string, unknown>): FailureReason;
}

export type FlowElement<C> = StepDefinition<C> | readonly StepDefinition<C>[];

export interface SagaDefinition<T = Record<string, unknown>, C = Record<string, unknown>> {
  name: string;
  /** The event type that starts a saga. */
  startsOn: string;
  sagaId(trigger: T): string;
  initialContext(trigger: T): C;
  /** A reason to cancel at once (e.g. an order with no items), before any step runs. */
  precheck?(context: C): FailureReason | undefined;
  flow: readonly FlowElement<C>[];
  completed: MessageTemplate<C>;
  cancelled: {
    eventType: string;
    /** `compensatedSteps`: the steps undone (acknowledged), in the order they were compensated. */
    build(
      context: C,
      sagaId: string,
      reason: FailureReason,
      compensatedSteps: readonly string[],
    ): Record<string, unknown>;
  };
  /** The whole saga's deadline; past it, the saga fails and compensates. */
  timeoutMs: number;
  /** How long to wait for a compensation's acknowledgement before sending it again. */
  compensationTimeoutMs?: number;
  /** How many times a compensation is sent before the saga ends without its acknowledgement. */
  compensationAttempts?: number;
}

/** Declares a step; reads as the business flow at the call site. */
export function step<C>(definition: StepDefinition<C>): StepDefinition<C> {
  return definition;
}

/** Steps that run at the same time; the flow moves on when all have succeeded. */
export function parallel<C>(...steps: StepDefinition<C>[]): readonly StepDefinition<C>[] {
  return steps;
}

export function defineSaga<T, C>(definition: SagaDefinition<T, C>): SagaDefinition<T, C> {
  validateDefinition(definition as SagaDefinition<unknown, unknown>);
  return definition;
}

/** Groups of the flow, each an array (a single step is a group of one). */
export function stages<C>(definition: SagaDefinition<unknown, C>): StepDefinition<C>[][] {
  return definition.flow.map((element) =>
    Array.isArray(element) ? [...element] : [element as StepDefinition<C>],
  );
}

function validateDefinition(definition: SagaDefinition<unknown, unknown>): void {
  const names = new Set<string>();
  const replyTypes = new Map<string, string>();
  for (const group of stages(definition)) {
    if (group.length === 0)
      throw new Error(`saga ${definition.name}: a parallel group has no steps`);
    for (const s of group) {
      if (names.has(s.name))
        throw new Error(`saga ${definition.name}: step name "${s.name}" is used twice`);
      names.add(s.name);
      if (!(s.timeoutMs > 0))
        throw new Error(`saga ${definition.name}: step "${s.name}" needs a positive timeoutMs`);
      for (const type of [...s.succeededOn, ...s.failedOn, ...(s.compensatedOn ?? [])]) {
        const owner = replyTypes.get(type);
        if (owner !== undefined && owner !== s.name)
          throw new Error(
            `saga ${definition.name}: reply type ${type} belongs to both "${owner}" and "${s.name}"`,
          );
        replyTypes.set(type, s.name);
      }
    }
  }
  if (names.size === 0) throw new Error(`saga ${definition.name}: the flow has no steps`);
  if (!(definition.timeoutMs > 0))
    throw new Error(`saga ${definition.name}: needs a positive timeoutMs`);
}
