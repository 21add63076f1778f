import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextPendingCheckMs, patchRequestQueueIdleLoop } from './request-queue-idle';

describe('when a kafkajs request queue looks at its waiting requests again', () => {
  const now = 1_000_000;

  it('never, while nothing waits and the broker does not throttle (kafkajs looped every 1 ms)', () => {
    expect(nextPendingCheckMs(0, -1, now)).toBeNull();
    expect(nextPendingCheckMs(0, now - 5, now)).toBeNull();
  });

  it('soon while requests wait, at the throttle end while throttled', () => {
    expect(nextPendingCheckMs(2, -1, now)).toBe(10);
    expect(nextPendingCheckMs(2, now + 250, now)).toBe(250);
    expect(nextPendingCheckMs(0, now + 250, now)).toBe(250);
  });
});

describe("kafkajs's RequestQueue, patched", () => {
  const load = createRequire(import.meta.url);
  const RequestQueue = load('kafkajs/src/network/requestQueue') as new (options: object) => {
    pending: unknown[];
    throttleCheckTimeoutId: unknown;
    checkPendingRequests(): void;
  };
  const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined };
  const queue = () =>
    new RequestQueue({
      instrumentationEmitter: { emit: () => undefined },
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: '127.0.0.1:9092',
      logger: silent,
    });

  afterEach(() => vi.useRealTimers());

  it('arms no timer after an answer leaves nothing waiting, and still rechecks waiting requests', () => {
    patchRequestQueueIdleLoop();
    vi.useFakeTimers();
    const idle = queue();
    idle.checkPendingRequests(); // what every answer does
    expect(idle.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);

    const waiting = queue();
    waiting.pending.push({});
    const recheck = vi.spyOn(waiting, 'checkPendingRequests').mockImplementation(() => undefined);
    (waiting as unknown as { scheduleCheckPendingRequests(): void }).scheduleCheckPendingRequests();
    vi.advanceTimersByTime(10);
    expect(recheck).toHaveBeenCalledTimes(1);
  });
});
