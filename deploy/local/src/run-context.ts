import type { KafkaSecurity } from '@fanout/messaging';
import type { ManagedProcess } from './process-supervisor';
import type { LogSink } from './progress';
import type { ProvisionedPaths } from './provision';
import type { SecureKafka } from './secure-kafka';
import type { StackState } from './stack-state';
import type { Topology } from './topology';

export interface Timeouts {
  kafkaMs: number;
  registryMs: number;
  jaegerMs: number;
  serviceMs: number;
}

export const defaultTimeouts: Timeouts = {
  kafkaMs: 120_000,
  registryMs: 120_000,
  jaegerMs: 60_000,
  serviceMs: 60_000,
};

/** What one `up` works with; `record` keeps state.json and the list of what it started in step. */
export interface RunContext {
  topology: Topology;
  state: StackState;
  paths: ProvisionedPaths;
  java: { kafka: string; registry: string };
  log: LogSink;
  timeouts: Timeouts;
  /** Secure mode: the profile's TLS material and credentials, and how clients connect. */
  secure?: { material: SecureKafka; client: KafkaSecurity };
  started: ManagedProcess[];
  record(proc: ManagedProcess): void;
}
