import { EventEmitter } from 'node:events';

interface Where {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * What the consumer runtime reports, for metrics and logs. The telemetry lib subscribes to
 * these; the runtime itself stays free of metric vendors. Listeners must be cheap and must
 * not throw.
 */
export interface RuntimeEventMap {
  /**
   * A fetched batch; `lastOffset` includes its transaction markers, so `lagAfterBatch` (the
   * offsets past it up to `highWatermark`) is the partition's lag. A fetch that held only markers
   * or aborted records is reported with `size` 0.
   */
  batch: [
    { topic: string; partition: number; size: number; lastOffset: string; highWatermark: string },
  ];
  processed: [Where & { eventId: string; eventType: string; durationMs: number; attempts: number }];
  duplicate: [Where & { eventId: string }];
  retry: [
    Where & {
      eventId: string;
      kind: 'immediate' | 'tier';
      tier: number;
      attempt: number;
      code: string;
    },
  ];
  'dead-letter': [Where & { eventId: string; code: string; reason: string; attempts: number }];
  commit: [{ topic: string; partition: number; offset: string }];
  rebalance: [{ assignment: Record<string, number[]> }];
  paused: [];
  resumed: [];
  /** A failure the runtime survived (commit refused, forward retried…). Never `error`. */
  warning: [{ where: string; error: unknown }];
}

export class RuntimeEvents extends EventEmitter<RuntimeEventMap> {}
