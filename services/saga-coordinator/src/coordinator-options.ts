import type { Kafka } from 'kafkajs';
import type { Logger } from '@fanout/telemetry';
import type { SagaRegistry } from './saga-registry';

/** The codec contract of CONTRIBUTING.md ("Kafka record conventions"), structurally typed. */
export interface SagaCodec {
  encode(eventType: string, value: unknown, topic: string): Promise<Buffer>;
  decode(bytes: Buffer): Promise<{ eventType: string; value: unknown; schemaId: number }>;
}

export interface SagaMetrics {
  sagaFinished(labels: { saga: string; outcome: string }, seconds: number): void;
  deadLetter(labels: { consumerGroup: string; topic: string; errorCode: string }): void;
}

export interface SagaTopics {
  /** Topics the coordinator consumes (triggers and replies); co-partitioned with `state`. */
  inputs: readonly string[];
  /** The replies topic: anything on it that is no saga's reply is dead-lettered. */
  replies: string;
  /** The compacted changelog of saga state. */
  state: string;
  deadLetter: string;
  /** Where each emitted event type goes (commands, compensations, terminal events). */
  routes: Readonly<Record<string, string>>;
}

export interface SagaCoordinatorOptions {
  kafka: Kafka;
  codec: SagaCodec;
  sagas: SagaRegistry;
  topics: SagaTopics;
  groupId: string;
  /** Transactional ids are `<prefix>-p<partition>`: whoever owns partition p fences the last owner. */
  transactionalIdPrefix: string;
  /** `metadata.producer` of every emitted event. */
  producerName: string;
  logger: Logger;
  metrics: SagaMetrics;
  tickIntervalMs?: number;
  /** Group session timeout: how soon a dead instance's partitions move to another. */
  sessionTimeoutMs?: number;
  restoreTimeoutMs?: number;
  maxMessagesPerTransaction?: number;
  /** How long a finished saga is kept (to recognise late replies) before it is purged. */
  terminalRetentionMs?: number;
  /** The consumer stopped for good (a non-retriable error): the process should exit. */
  onCrash?: (error: Error) => void;
  clock?: () => number;
}

/** What every piece of the coordinator reads: its options, its clock and its logger. */
export interface CoordinatorContext {
  readonly options: SagaCoordinatorOptions;
  readonly clock: () => number;
  readonly log: Logger;
}
