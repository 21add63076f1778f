export { EventPublisher, wrapKafkaError } from './event-publisher';
export type { EventPublisherOptions, PublishRequest, PublishResult } from './event-publisher';
export { isTransientKafkaError } from './publish-error';
export { createConsumerRuntime } from './consumer-runtime';
export { enableAdaptiveFetch, nextFetchParameters } from './adaptive-fetch';
export type { AdaptiveFetchSettings } from './adaptive-fetch';
export type {
  ConsumedEvent,
  ConsumerRuntime,
  ConsumerRuntimeOptions,
  EventHandler,
  HandlerContext,
} from './consumer-runtime';
export type { EventCodec, DecodedEvent } from './event-codec';
export { Headers, readHeaders } from './message-headers';
export { OffsetTracker } from './offset-tracker';
export { KeyScheduler } from './key-scheduler';
export { compileRetryPolicy, retryTopicName, deadLetterTopicName } from './retry-policy';
export type { RetryDecision, RetryOptions, RetryPolicy, RetryTier } from './retry-policy';
export { SqliteDedupeStore } from './dedupe-store';
export type { DedupeStore, SqliteDedupeOptions } from './dedupe-store';
export { RuntimeEvents } from './runtime-events';
export type { RuntimeEventMap } from './runtime-events';
export { installGracefulShutdown } from './graceful-shutdown';
export { withinDeadline } from './runtime-lifecycle';
export type { GracefulShutdownOptions, Stoppable } from './graceful-shutdown';
export { ensureRuntimeTopics } from './topic-provisioner';
export {
  createKafkaClient,
  kafkaClientConfig,
  kafkaSecurityOptions,
  assertKafkaSecurity,
  describeKafkaSecurity,
  redactedKafkaSecurity,
  plaintextKafka,
  kafkaSecurityProtocols,
  kafkaSaslMechanisms,
} from './kafka-client';
export type {
  KafkaClientOptions,
  KafkaSecurity,
  KafkaSecurityProtocol,
  KafkaSaslMechanism,
  KafkaSaslCredentials,
  KafkaTlsSettings,
} from './kafka-client';
export { lagAfterBatch, partitionLag } from './partition-lag';
export type { PartitionLagInput } from './partition-lag';
