/** Anything that stops gracefully within a deadline: a consumer runtime, a publisher… */
export interface Stoppable {
  stop(options?: { deadlineMs?: number }): Promise<void>;
}

export interface GracefulShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  /** Time for in-flight work before handlers are aborted. Default 15 s. */
  deadlineMs?: number;
  /** Exit the process when done (default true); exit code 1 when a stop failed. */
  exit?: boolean;
  onError?: (error: unknown) => void;
}

/**
 * On SIGTERM (or SIGINT): stop each runtime in order (stop fetching, finish in-flight work
 * within the deadline, commit, leave the group), then exit. A second signal exits at once.
 * Returns a function that removes the handlers.
 */
export function installGracefulShutdown(
  targets: readonly Stoppable[],
  options: GracefulShutdownOptions = {},
): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let shuttingDown = false;
  const onSignal = (): void => {
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    void (async () => {
      let failed = false;
      for (const target of targets) {
        try {
          await target.stop({ deadlineMs: options.deadlineMs ?? 15_000 });
        } catch (error) {
          failed = true;
          options.onError?.(error);
        }
      }
      if (options.exit ?? true) process.exit(failed ? 1 : 0);
    })();
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
