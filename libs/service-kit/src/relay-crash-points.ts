import type { OutboxRelayHooks } from './outbox-relay';

/** Where a test may ask the relay to die, to prove what a crash at that point does. */
export type RelayCrashPoint = 'after-fetch' | 'after-publish';

/**
 * Test-only: SIGKILLs the process at a point of the relay's cycle. `after-fetch` is "after
 * the commit, before the publish"; `after-publish` is "after Kafka's ack, before the row is
 * marked sent". Services pass it from a test-only variable; unset in production.
 */
export function crashPointHooks(point: RelayCrashPoint | undefined): OutboxRelayHooks {
  const die = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  if (point === 'after-fetch') return { afterFetch: die };
  if (point === 'after-publish') return { afterPublish: die };
  return {};
}
