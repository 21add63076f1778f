import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';

export type RuntimePhase = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * Where the runtime is in its life, shared by its pieces: whether it runs, stops or stopped,
 * whether every partition is paused, the shutdown deadline, and the abort that tells handlers
 * to give up once that deadline passed.
 */
export class RuntimeLifecycle {
  phase: RuntimePhase = 'new';
  stopDeadline = Infinity;
  pausedAll = false;
  readonly abort = new AbortController();
}

/** Waits for `work`, or for `ms` at most; the timer never outlives the wait. */
export async function withinDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Subscribes to `topics`, waiting out a retriable failure up to ten attempts. */
export async function subscribeWithRetry(
  consumer: Pick<Consumer, 'subscribe'>,
  topics: string[],
  fromBeginning: boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await consumer.subscribe({ topics, fromBeginning });
      break;
    } catch (error) {
      // On a multi-broker KRaft cluster, a topic created moments ago (here or by a sibling
      // service) is missing from some broker's metadata for a few seconds ("does not host this
      // topic-partition", retriable): wait it out instead of failing the service's start.
      if ((error as { retriable?: unknown }).retriable !== true || attempt >= 10) throw error;
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
  }
}
