import { createRequire } from 'node:module';

/** What the patch touches of kafkajs's (internal) per-connection RequestQueue. */
interface PendingRequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('fanout.messaging.requestQueueIdle');
/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL: how soon waiting requests are looked at again. */
const PENDING_CHECK_MS = 10;

/**
 * When a connection's request queue should look at its waiting requests again: after
 * `PENDING_CHECK_MS` when requests wait and the broker does not throttle us, when the throttle
 * ends when it does, and never when nothing waits and nothing throttles (a request pushed later
 * is sent at once or schedules its own check; every answer checks the queue too).
 */
export function nextPendingCheckMs(
  pending: number,
  throttledUntil: number,
  now: number,
): number | null {
  const untilUnthrottled = throttledUntil - now;
  if (pending > 0) return untilUnthrottled > 0 ? untilUnthrottled : PENDING_CHECK_MS;
  return untilUnthrottled > 0 ? untilUnthrottled : null;
}

/**
 * Stops kafkajs 2.2.4's idle timer loop: after its first answer every connection's request
 * queue re-armed a timer of `throttledUntil - now` ms, negative while never throttled, so
 * Node ran it every millisecond for the life of the connection (kafkajs issues #1556, #1604,
 * #1704; unmerged fixes #1667, #1768). An idle consumer with its broker, coordinator and view
 * connections woke ~760 times a second and spent ~33 ms of CPU per second doing nothing
 * (docs/idle-cost.md). Scheduling now follows `nextPendingCheckMs`. Once per process.
 */
export function patchRequestQueueIdleLoop(): void {
  const load = createRequire(import.meta.url);
  const RequestQueue = load('kafkajs/src/network/requestQueue') as {
    prototype: PendingRequestQueue & { [PATCHED]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[PATCHED]) return;
  if (typeof proto.scheduleCheckPendingRequests !== 'function')
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests(): needs 2.x');
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: PendingRequestQueue,
  ): void {
    if (this.throttleCheckTimeoutId) return;
    const delay = nextPendingCheckMs(this.pending.length, this.throttledUntil, Date.now());
    if (delay === null) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  proto[PATCHED] = true;
}
