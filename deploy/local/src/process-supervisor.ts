import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A process the platform started, with enough identity to never signal a stranger. */
export interface ManagedProcess {
  name: string;
  pid: number;
  /** argv as /proc reported it right after the start. */
  cmdline: string[];
  /** Kernel start time (clock ticks since boot): a reused pid has a different one. */
  startTicks: string;
  logFile: string;
  startedAt: string;
}

export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part, i, all) => part !== '' || i < all.length - 1);
  } catch {
    return undefined;
  }
}

function readStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command (field 2) may contain spaces, so count after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * argv of a process just spawned, once the kernel has set it up. spawn() returns when the
 * child's close-on-exec descriptors are closed, which in execve() comes before the new program's
 * argument pages exist: a read in that window gives an empty /proc/<pid>/cmdline. Recorded as the
 * identity, that empty argv made `isOurs` false for a live process (CI, loaded: "jaeger did not
 * become healthy: the process exited", and the process was left running). So an empty read is
 * retried for up to `timeoutMs`; a process already gone, or one that never shows an argv, gets
 * the argv it was started with.
 */
export function settledCmdline(
  pid: number,
  started: string[],
  {
    read = readCmdline,
    sleep = (ms: number) => void Atomics.wait(pause, 0, 0, ms),
    timeoutMs = 2_000,
  }: {
    read?: (pid: number) => string[] | undefined;
    sleep?: (ms: number) => void;
    timeoutMs?: number;
  } = {},
): string[] {
  for (let waited = 0; ; waited += 5) {
    const argv = read(pid);
    if (argv === undefined) return started;
    if (argv.length > 0) return argv;
    if (waited >= timeoutMs) return started;
    sleep(5);
  }
}

/** Why `proc` is no longer the very process we started (start time and argv), or undefined. */
export function notOurs(proc: ManagedProcess): string | undefined {
  const ticks = readStartTicks(proc.pid);
  if (ticks === undefined) return `pid ${proc.pid} has exited`;
  if (ticks !== proc.startTicks)
    return `pid ${proc.pid} belongs to a later process (start tick ${ticks}, ours ${proc.startTicks})`;
  const cmdline = readCmdline(proc.pid);
  if (cmdline === undefined) return `pid ${proc.pid} has exited`;
  if (cmdline.join('\0') !== proc.cmdline.join('\0'))
    return `pid ${proc.pid} runs "${cmdline.join(' ')}", not the recorded "${proc.cmdline.join(' ')}"`;
  return undefined;
}

/** True only if `pid` is still the very process we started (same start time and argv). */
export function isOurs(proc: ManagedProcess): boolean {
  return notOurs(proc) === undefined;
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

/**
 * Starts a detached process (its own process group, output appended to its log file) that
 * outlives this CLI. Returns once its identity is recorded.
 */
export function spawnManaged(spec: SpawnSpec): ManagedProcess {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    const pid = child.pid;
    return {
      name: spec.name,
      pid,
      cmdline: settledCmdline(pid, [spec.command, ...spec.args]),
      startTicks: readStartTicks(pid) ?? '',
      logFile: spec.logFile,
      startedAt: new Date().toISOString(),
    };
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function signalManaged(proc: ManagedProcess, signal: NodeJS.Signals): boolean {
  if (!isOurs(proc)) return false;
  try {
    process.kill(proc.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Never touches a pid that is no longer ours. */
export async function stopManaged(
  proc: ManagedProcess,
  graceMs = 15_000,
): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!signalManaged(proc, 'SIGTERM')) return 'not-running';
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(proc)) return 'stopped';
    await sleep(200);
  }
  signalManaged(proc, 'SIGKILL');
  for (let i = 0; i < 50 && isOurs(proc); i++) await sleep(100);
  return 'killed';
}

/** The last lines of a log, quoted in failure messages. */
export function logTail(file: string, lines = 12, indent = '    '): string {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((l) => `${indent}${l}`)
      .join('\n');
  } catch {
    return '    (no log written)';
  }
}
