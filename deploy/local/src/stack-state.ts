import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManagedProcess } from './process-supervisor';
import type { Topology } from './topology';

/** What one profile started: the only processes `down` will ever signal. */
export interface StackState {
  profile: string;
  brokers: number;
  portOffset: number;
  /** Kafka runs on SASL_SSL (`up --secure`); reset when the profile is fully stopped. */
  secure?: boolean;
  /** KRaft cluster id the brokers' storage was formatted with. */
  clusterId?: string;
  processes: Record<string, ManagedProcess>;
}

export function stateFile(topology: Topology): string {
  return join(topology.stateDir, 'state.json');
}

export function loadState(topology: Topology): StackState {
  try {
    return JSON.parse(readFileSync(stateFile(topology), 'utf8')) as StackState;
  } catch {
    return {
      profile: topology.profile,
      brokers: topology.brokers.length,
      portOffset: topology.portOffset,
      processes: {},
    };
  }
}

/** Written via rename, so a crash never leaves a truncated state file. */
export function saveState(topology: Topology, state: StackState): void {
  mkdirSync(topology.stateDir, { recursive: true });
  const tmp = `${stateFile(topology)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, stateFile(topology));
}
