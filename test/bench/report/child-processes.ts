import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface TrackedChild {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Last lines of its output, for error messages. */
  tail(lines?: number): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

/**
 * Every process the benchmark starts, so all of them stop at the end, on an error and on
 * Ctrl-C. Output goes to `<logDir>/<name>.log`; the last lines are kept for error messages.
 */
export class ChildProcesses {
  private readonly children = new Set<TrackedChild>();

  constructor(readonly logDir: string) {
    mkdirSync(logDir, { recursive: true });
  }

  spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: {
      cwd: string;
      env: NodeJS.ProcessEnv;
      /** Called with each output line (e.g. to relay a child benchmark's progress). */
      onLine?: (line: string) => void;
    },
  ): TrackedChild {
    const logFile = join(this.logDir, `${name}.log`);
    const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
    const lines: string[] = [];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        options.onLine?.(line);
      }
      if (lines.length > 400) lines.splice(0, lines.length - 200);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve) => {
        child.once('exit', (code, signal) => {
          log.end();
          resolve({ code, signal });
        });
        child.once('error', (error) => {
          lines.push(`spawn failed: ${error.message}`);
          log.end();
          resolve({ code: -1, signal: null });
        });
      },
    );
    const tracked: TrackedChild = {
      name,
      child,
      logFile,
      tail: (n = 30) => [...lines, partial].filter(Boolean).slice(-n).join('\n'),
      exited,
      running: () =>
        child.exitCode === null && child.signalCode === null && child.pid !== undefined,
    };
    this.children.add(tracked);
    void exited.then(() => this.children.delete(tracked));
    return tracked;
  }

  /** SIGTERM (graceful stop), then SIGKILL after `graceMs`. */
  async stop(tracked: TrackedChild, graceMs = 20_000): Promise<void> {
    if (!tracked.running()) return;
    tracked.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      tracked.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut && tracked.running()) {
      tracked.child.kill('SIGKILL');
      await tracked.exited;
    }
  }

  async stopAll(graceMs = 20_000): Promise<void> {
    await Promise.all([...this.children].map((c) => this.stop(c, graceMs)));
  }

  /** Last resort on process exit: SIGKILL whatever still runs (synchronous). */
  killAllNow(): void {
    for (const tracked of this.children) if (tracked.running()) tracked.child.kill('SIGKILL');
  }
}
