import type { FastifyBaseLogger } from 'fastify';

export type Closer = () => void | Promise<void>;

export interface GracefulShutdownOptions {
  logger: FastifyBaseLogger;
  /** The whole shutdown must finish within this; then the process exits with code 1. */
  deadlineMs?: number;
  exit?: (code: number) => void;
}

/**
 * Stops a service in order. Closers run in reverse order of registration, so what started
 * last stops first: register the database, then the relay, then the HTTP server, and on
 * SIGTERM the server stops accepting and drains in-flight requests, the relay finishes its
 * batch, and only then the database closes. A closer that fails is logged and the rest run.
 */
export class GracefulShutdown {
  private readonly closers: { name: string; close: Closer }[] = [];
  private readonly deadlineMs: number;
  private readonly exit: (code: number) => void;
  private shutdown: Promise<void> | undefined;

  constructor(private readonly options: GracefulShutdownOptions) {
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  register(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  /** Installs SIGTERM and SIGINT handlers that run the shutdown and exit. */
  installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        this.options.logger.info({ signal }, 'shutting down');
        void this.run().then(
          () => this.exit(0),
          () => this.exit(1),
        );
      });
    }
  }

  /** Runs every closer once, however many times it is called. Rejects if the deadline passes. */
  run(): Promise<void> {
    this.shutdown ??= this.closeAll();
    return this.shutdown;
  }

  private async closeAll(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`shutdown exceeded ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
      timer.unref();
    });
    const sequence = (async () => {
      for (const { name, close } of [...this.closers].reverse()) {
        try {
          await close();
        } catch (error) {
          this.options.logger.error({ err: error, closer: name }, 'closer failed');
        }
      }
    })();
    try {
      await Promise.race([sequence, deadline]);
      this.options.logger.info('shutdown complete');
    } catch (error) {
      this.options.logger.error({ err: error }, 'shutdown did not finish in time');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
