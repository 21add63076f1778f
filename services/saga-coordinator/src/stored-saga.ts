import type { SagaState } from '@fanout/saga';

/**
 * A saga as the changelog holds it: the engine's state plus the trace context of the input that
 * started it, so timer-driven steps (timeouts, resent compensations) join the same trace.
 */
export interface StoredSaga {
  state: SagaState<Record<string, unknown>>;
  trace: Record<string, string>;
  /** `metadata.correlationId` of every event the saga emits (the trigger's). */
  correlationId: string;
}

interface ChangelogValue extends StoredSaga {
  /** Format version of this JSON document. */
  v: 1;
}

/** Changelog key: the saga id qualified by the saga, so two sagas may share an id. */
export function sagaKey(saga: string, sagaId: string): string {
  return `${saga}:${sagaId}`;
}

export function encodeStoredSaga(saga: StoredSaga): Buffer {
  const value: ChangelogValue = { v: 1, ...saga };
  return Buffer.from(JSON.stringify(value));
}

export function decodeStoredSaga(bytes: Buffer): StoredSaga {
  const value = JSON.parse(bytes.toString('utf8')) as Partial<ChangelogValue>;
  if (value.v !== 1 || typeof value.state !== 'object' || value.state === null) {
    throw new Error(`unsupported saga changelog record (v=${String(value.v)})`);
  }
  return {
    state: value.state,
    trace: value.trace ?? {},
    correlationId: value.correlationId ?? value.state.sagaId,
  };
}
