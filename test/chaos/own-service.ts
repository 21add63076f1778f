import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, stateDir } from '@fanout/local-platform';
import { CHAOS_STACK } from './chaos-system';

/**
 * A catalog service this test starts itself (as the platform does: `node --import tsx
 * services/<name>/src/main.ts`), with an environment the platform would not give it, e.g. a
 * registry URL behind a gate. Output goes to `.fanout/stack/chaos/logs/<name>.own.log`.
 */
export class OwnService {
  private child: ChildProcess | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Every start of this object, so a crash loop would show as more than one pid. */
  readonly pids: number[] = [];
  readonly logFile: string;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {
    this.logFile = join(stateDir(CHAOS_STACK.profile), 'logs', `${name}.own.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Alive, and never exited since it was started. */
  get running(): boolean {
    return this.child !== undefined && this.exit === undefined;
  }

  get exitStatus(): string {
    return this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'running';
  }

  /** Starts it and waits until its HTTP server answers /healthz (not /readyz), bounded. */
  async start(timeoutMs = 120_000): Promise<void> {
    mkdirSync(join(stateDir(CHAOS_STACK.profile), 'logs'), { recursive: true });
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(
        process.execPath,
        ['--import', 'tsx', join('services', this.name, 'src', 'main.ts')],
        {
          cwd: repoRoot,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
          stdio: ['ignore', fd, fd],
        },
      );
    } finally {
      closeSync(fd);
    }
    this.exit = undefined;
    if (this.child.pid !== undefined) this.pids.push(this.child.pid);
    this.child.once('exit', (code, signal) => (this.exit = { code, signal }));
    const url = `http://127.0.0.1:${this.env.PORT}/healthz`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running)
        throw new Error(`${this.name} ${this.exitStatus} during start; see ${this.logFile}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not answer ${url} within ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** GET /readyz: its status and body. */
  async readiness(): Promise<{ status: number; body: ReadinessBody }> {
    const response = await fetch(`http://127.0.0.1:${this.env.PORT}/readyz`, {
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, body: (await response.json()) as ReadinessBody };
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || this.exit) return;
    child.kill('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (!this.exit && Date.now() < deadline) await sleep(100);
    if (!this.exit) child.kill('SIGKILL');
    for (let i = 0; i < 100 && !this.exit; i++) await sleep(100);
  }
}

export interface ReadinessBody {
  ready: boolean;
  checks: Record<string, { ok: boolean; critical: boolean; detail?: string }>;
}
