import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's time fields (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The fields of a /proc stat line after the command name (fields[0] is field 3, the state). The
 * command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
 */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user + system, every thread, plus children it waited for) a process has used
 * since it started, from /proc/<pid>/stat; undefined when it is gone.
 */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = statFields(stat);
  // Fields 14-17 of proc(5): utime, stime, cutime, cstime; fields[0] is field 3.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds (user + system) of each thread of a process, summed by thread name, from
 * /proc/<pid>/task; the main thread (tid = pid) is "main", since node names its threads alike.
 * Empty when the process is gone; a thread that ends meanwhile is left out.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const name =
      tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = statFields(stat);
    const seconds = (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / TICKS_PER_SECOND;
    byName.set(name, (byName.get(name) ?? 0) + seconds);
  }
  return byName;
}

/** Thread names (15 characters, as the kernel keeps them) of the JVM's JIT compilers. */
const JIT_THREAD = /^C[12] CompilerThre/;

/**
 * CPU seconds the JVM's JIT compiler threads of a process have used (0 for a process without
 * them, e.g. node, whose compiler shares V8's worker threads with the GC). A lower bound: the
 * JVM stops idle compiler threads, and a stopped thread's time is no longer listed per thread.
 */
export function jitCpuSeconds(pid: number): number {
  let seconds = 0;
  for (const [name, s] of threadCpuSeconds(pid)) if (JIT_THREAD.test(name)) seconds += s;
  return seconds;
}

export interface MeteredProcess {
  name: string;
  /** What it is in the fan-out: a service role, a platform component, or the load generator. */
  kind: 'domain' | 'consumer' | 'sandbox' | 'saga' | 'ops' | 'platform' | 'load' | 'in-request';
  pid: number;
}

export interface CpuRow {
  process: string;
  kind: MeteredProcess['kind'];
  cpuSeconds: number;
  /** Microseconds of CPU per event fully fanned out over the step. */
  usPerEvent: number | null;
  /** Average cores it used over the step. */
  cores: number;
  /**
   * Of `usPerEvent`, what its JIT compiler threads used (JVMs only; absent when none): a
   * freshly started broker compiles for minutes, which is start-up cost, not per-event cost.
   */
  jitUsPerEvent?: number;
}

export interface CpuTable {
  wallSeconds: number;
  events: number;
  rows: CpuRow[];
  total: { cpuSeconds: number; usPerEvent: number | null; cores: number };
  how: string;
}

interface Reading {
  at: number;
  perPid: Map<number, number | undefined>;
  jitPerPid: Map<number, number>;
  self: NodeJS.CpuUsage;
}

/**
 * CPU time of every process of one measured step, read at its start and its end. The load
 * generator is this process (process.cpuUsage: it also polls the sandbox while waiting for
 * the drain, a few requests a second).
 */
export class CpuMeter {
  private readonly processes: MeteredProcess[];
  private readonly first: Reading;
  private last: Reading | undefined;

  constructor(processes: readonly MeteredProcess[]) {
    this.processes = [...processes];
    this.first = this.read();
  }

  private read(): Reading {
    return {
      at: performance.now(),
      perPid: new Map(this.processes.map((p) => [p.pid, processCpuSeconds(p.pid)])),
      jitPerPid: new Map(this.processes.map((p) => [p.pid, jitCpuSeconds(p.pid)])),
      self: process.cpuUsage(),
    };
  }

  /** Ends the measured window (e.g. once every API is done); later work is not counted. */
  finish(): void {
    this.last ??= this.read();
  }

  /** The table of the window, per event fully fanned out (finishes it if still open). */
  table(events: number): CpuTable {
    this.finish();
    const last = this.last!;
    const wallSeconds = (last.at - this.first.at) / 1000;
    const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
    const row = (name: string, kind: MeteredProcess['kind'], seconds: number): CpuRow => ({
      process: name,
      kind,
      cpuSeconds: round(seconds, 3),
      usPerEvent: events > 0 ? Math.round((seconds * 1e6) / events) : null,
      cores: wallSeconds > 0 ? round(seconds / wallSeconds, 3) : 0,
    });
    const rows: CpuRow[] = [];
    for (const p of this.processes) {
      const a = this.first.perPid.get(p.pid);
      const b = last.perPid.get(p.pid);
      if (a === undefined || b === undefined) continue;
      const measured = row(p.name, p.kind, b - a);
      const jit = (last.jitPerPid.get(p.pid) ?? 0) - (this.first.jitPerPid.get(p.pid) ?? 0);
      if (jit > 0 && events > 0) measured.jitUsPerEvent = Math.round((jit * 1e6) / events);
      rows.push(measured);
    }
    const selfSeconds =
      (last.self.user - this.first.self.user + last.self.system - this.first.self.system) / 1e6;
    rows.push(row('load generator (bench process)', 'load', selfSeconds));
    const totalSeconds = rows.reduce((n, r) => n + r.cpuSeconds, 0);
    return {
      wallSeconds: round(wallSeconds, 1),
      events,
      rows,
      total: {
        cpuSeconds: round(totalSeconds, 3),
        usPerEvent: events > 0 ? Math.round((totalSeconds * 1e6) / events) : null,
        cores: wallSeconds > 0 ? round(totalSeconds / wallSeconds, 3) : 0,
      },
      how: `user+system CPU of each process (every thread, waited-for children included) from /proc/<pid>/stat at the start of the load and once every API was done, in ${1000 / TICKS_PER_SECOND} ms ticks (a JVM's JIT compiler threads also alone, from /proc/<pid>/task); the load generator from process.cpuUsage(); divided by the events fully fanned out (accepted POSTs with an effect at all four APIs)`,
    };
  }
}
