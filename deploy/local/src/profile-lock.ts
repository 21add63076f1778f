import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSink } from './progress';
import type { Topology } from './topology';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One `up`/`down` per profile at a time (`npm start` and a test run may overlap), so two
 * runs never both start a broker on the same ports. A lock whose holder died is taken over.
 */
export async function withProfileLock<T>(
  topology: Topology,
  log: LogSink,
  fn: () => Promise<T>,
  waitMs = 10 * 60_000,
): Promise<T> {
  const dir = join(topology.stateDir, '.lock');
  const deadline = Date.now() + waitMs;
  let announced = false;
  mkdirSync(topology.stateDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      } catch {
        // being written right now, or left empty by a crash: decided below
      }
      if (Number.isInteger(holder) && holder !== process.pid && !alive(holder)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`profile "${topology.profile}" is locked by pid ${holder} (${dir})`);
      if (!announced) {
        log(`  … waiting for another stack run (pid ${holder}) on profile "${topology.profile}"`);
        announced = true;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
