export { defineSaga, step, parallel, stages } from './definition';
export type {
  Emission,
  FailureReason,
  MessageTemplate,
  StepDefinition,
  FlowElement,
  SagaDefinition,
} from './definition';
export { SagaEngine } from './saga-engine';
export type { Decision } from './saga-engine';
export { isTerminal, SEEN_INPUTS_LIMIT } from './saga-state';
export type { SagaState, SagaStatus, StepState, StepStatus } from './saga-state';
