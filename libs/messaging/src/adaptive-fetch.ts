import { createRequire } from 'node:module';

/** How a consumer group fetches while it has work, and while it has none. */
export interface AdaptiveFetchSettings {
  /** While records come: the broker answers once this many bytes are ready… */
  busyMinBytes: number;
  /** …or after this long, so busy fetches carry many records each. */
  busyMaxWaitMs: number;
  /**
   * After a fetch that returned no record: a long poll that the broker answers at the first
   * record (min bytes 1) or after this long. An idle consumer then sends a couple of fetches a
   * second instead of one per busy wait, and a lone record is not held back at all.
   */
  idleMaxWaitMs: number;
}

/** What the patch touches of kafkajs's (internal) ConsumerGroup. */
interface FetchingGroup {
  groupId: string;
  minBytes: number;
  maxWaitTime: number;
  fetch(nodeId: string): Promise<Array<{ isEmptyIncludingFiltered(): boolean }>>;
}

/** The fetch parameters for the next fetch from one broker, from how the last one went. */
export function nextFetchParameters(
  settings: AdaptiveFetchSettings,
  lastReturnedRecords: boolean,
): { minBytes: number; maxWaitTime: number } {
  return lastReturnedRecords
    ? { minBytes: settings.busyMinBytes, maxWaitTime: settings.busyMaxWaitMs }
    : { minBytes: 1, maxWaitTime: settings.idleMaxWaitMs };
}

const PATCHED = Symbol.for('fanout.messaging.adaptiveFetch');
const BUSY = Symbol.for('fanout.messaging.adaptiveFetch.busy');
/**
 * The registered groups, one map per process: the patched fetch lives on kafkajs's prototype
 * (one per process), while this module may be loaded more than once (a test runner's fresh
 * module graph per file, two bundles), so the map cannot be module state.
 */
const groups: Map<string, AdaptiveFetchSettings> = ((globalThis as { [key: symbol]: unknown })[
  Symbol.for('fanout.messaging.adaptiveFetch.groups')
] ??= new Map()) as Map<string, AdaptiveFetchSettings>;

/**
 * Makes the kafkajs consumers of `groupId` in this process fetch adaptively (see
 * AdaptiveFetchSettings); returns the undo. kafkajs fixes min bytes and max wait per consumer
 * and exposes no per-fetch setting, so this wraps its ConsumerGroup's fetch once per process
 * and sets the two fields before each fetch of a registered group (other groups are untouched).
 * Only fetch sizes change: what is fetched, from where, and every commit stay kafkajs's own.
 * With several brokers, fetches to different brokers run concurrently and may briefly use each
 * other's mode; that moves latency or batching, never which records are delivered.
 */
export function enableAdaptiveFetch(groupId: string, settings: AdaptiveFetchSettings): () => void {
  patchConsumerGroup();
  groups.set(groupId, settings);
  return () => {
    if (groups.get(groupId) === settings) groups.delete(groupId);
  };
}

function patchConsumerGroup(): void {
  const load = createRequire(import.meta.url);
  const ConsumerGroup = load('kafkajs/src/consumer/consumerGroup') as {
    prototype: FetchingGroup & { [PATCHED]?: true };
  };
  const proto = ConsumerGroup.prototype;
  if (proto[PATCHED]) return;
  const original = proto.fetch;
  if (typeof original !== 'function')
    throw new Error('kafkajs ConsumerGroup has no fetch(): adaptive fetch needs kafkajs 2.x');
  proto.fetch = async function adaptiveFetch(
    this: FetchingGroup & { [BUSY]?: Map<string, boolean> },
    nodeId: string,
  ) {
    const settings = groups.get(this.groupId);
    if (!settings) return original.call(this, nodeId);
    const busy = (this[BUSY] ??= new Map<string, boolean>());
    const next = nextFetchParameters(settings, busy.get(nodeId) ?? false);
    this.minBytes = next.minBytes;
    this.maxWaitTime = next.maxWaitTime;
    const batches = await original.call(this, nodeId);
    busy.set(
      nodeId,
      batches.some((batch) => !batch.isEmptyIncludingFiltered()),
    );
    return batches;
  };
  proto[PATCHED] = true;
}
