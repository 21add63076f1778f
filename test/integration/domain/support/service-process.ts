import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

export type DomainServiceName = 'user-service' | 'order-service';
/** Any catalog service with a main.ts: the domain services and the `<api>-consumer`s. */
export type ServiceName = DomainServiceName | `${string}-consumer`;

/** A free TCP port on 127.0.0.1, so parallel runs never collide on the fixed ports. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A domain service started the way the local platform starts it (`node --import tsx main.ts`),
 * as a child process the test can SIGTERM, SIGKILL and restart on the same data directory.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  readonly logs: string[] = [];

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private env: Record<string, string>,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits until /healthz answers (bounded). */
  async start(
    overrides: Record<string, string | undefined> = {},
    timeoutMs = 60_000,
  ): Promise<void> {
    const env: Record<string, string> = { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `services/${this.name}/src/main.ts`],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          OTEL_TRACES_EXPORTER: 'none',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited during start:\n${this.logs.join('').slice(-4000)}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/healthz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not become healthy in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Resolves when the process exits on its own (e.g. a test crash point SIGKILLs it). */
  async waitForExit(
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exited) throw new Error('not started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL if it overstays. */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return this.exited ?? { code: null, signal: null };
    child.kill('SIGTERM');
    try {
      return await this.waitForExit(timeoutMs);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
