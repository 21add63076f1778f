// The coordinator as a library, for the cross-service suites and benchmarks in test/.
export { SagaCoordinator } from './saga-coordinator';
export type {
  SagaCodec,
  SagaCoordinatorOptions,
  SagaMetrics,
  SagaTopics,
} from './saga-coordinator';
export { SagaRegistry } from './saga-registry';
// The transaction step on its own, for the suite that runs it against the real broker.
export { SagaTransactions, TransactionWork } from './saga-transaction';
export { OwnedPartition } from './owned-partition';
export type { CoordinatorContext } from './coordinator-options';
export {
  coPartitionAssigner,
  coPartitionPlan,
  CO_PARTITION_ASSIGNER,
} from './co-partition-assigner';
export { createOrderSaga, DEFAULT_ORDER_SAGA_TIMEOUTS, cancellationCode } from './sagas/order-saga';
export type { OrderPlaced, OrderSagaContext, OrderSagaTimeouts } from './sagas/order-saga';
export { createOnboardingSaga, OnboardingEvents } from './sagas/onboarding-saga';
export { orderSagaTopics } from './topology';
export { EventTypes } from './event-types';
export { Header } from './record-headers';
export type { DeadLetterCode } from './dead-letter';
export { loadSagaCoordinatorConfig } from './config';
export type { SagaCoordinatorConfig } from './config';
