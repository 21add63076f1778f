import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { ServiceRole } from './services';

/**
 * CPU priority per role, so background work never starves the user's request on shared cores
 * (the way a cluster gives user-facing pods guaranteed CPU and batch pods the rest).
 * `nice` is what `npm start` and the bench apply to local processes; `cpuShares` is the same
 * ratio for docker-compose (`cpu_shares`, default 1024). Domain services take requests from
 * users; the saga coordinator sits on the order's path; consumers and the sandbox (which
 * stands for someone else's API) are background work.
 */
export const rolePriority: Readonly<Record<ServiceRole, { nice: number; cpuShares: number }>> = {
  domain: { nice: 0, cpuShares: 1024 },
  saga: { nice: 5, cpuShares: 512 },
  consumer: { nice: 10, cpuShares: 256 },
  sandbox: { nice: 10, cpuShares: 256 },
  ops: { nice: 10, cpuShares: 256 },
};

/**
 * Sets the niceness of every thread of `pid`. Linux applies setpriority(2) to one thread, so
 * each task under /proc/<pid>/task is set; threads created later inherit it from their parent
 * thread. Raising niceness needs no privilege. Returns the number of threads set (0 when the
 * process is gone or /proc is absent: priority is a hint, never a reason to fail a start).
 */
export function applyNice(pid: number, nice: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    try {
      setPriority(pid, nice);
      return 1;
    } catch {
      return 0;
    }
  }
  let set = 0;
  for (const tid of tids) {
    try {
      setPriority(Number(tid), nice);
      set += 1;
    } catch {
      // The thread ended between the listing and the call.
    }
  }
  return set;
}
