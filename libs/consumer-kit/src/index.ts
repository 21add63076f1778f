// @fanout/consumer-kit: everything a consumer service needs besides its mapping.
export { runConsumerService } from './run-consumer-service';
export type { RunConsumerOptions } from './run-consumer-service';
export { startConsumerService } from './consumer-service';
export type { ConsumerService, StartConsumerOptions } from './consumer-service';
export { defineConsumer } from './consumer-definition';
export type {
  ApiTools,
  ConsumerContext,
  ConsumerDefinition,
  ConsumerHandler,
  ConsumerHandlers,
  GlobalTableView,
} from './consumer-definition';
export { consumerServiceEnv, loadConsumerConfig } from './consumer-env';
export type { ConsumerConfig, ConsumerServiceEnv } from './consumer-env';
export { CallLedgerPublisher, CALL_LEDGER_EVENT_TYPE } from './call-ledger-publisher';
export type { CallLedgerPublisherOptions } from './call-ledger-publisher';
export { BulkLane } from './bulk-lane';
export type { BulkLaneOptions } from './bulk-lane';
export { runInCallScope, currentCallScope } from './call-scope';
export type { CallScope } from './call-scope';
export { runThroughCircuit } from './circuit-gate';
export { CompensationTombstones } from './compensation-tombstones';
export type { CompensationTombstonesOptions } from './compensation-tombstones';
export { permanentApiFailure } from './permanent-api-failure';
