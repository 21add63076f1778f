import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { applyNice } from './process-priority';

/** Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value. */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('applyNice', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterEach(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('renices every thread of a running node process, not only its main thread', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], {
      stdio: 'ignore',
    });
    children.push(child);
    await new Promise((r) => setTimeout(r, 300));
    expect(threadNices(child.pid!).length).toBeGreaterThan(1);
    const set = applyNice(child.pid!, 7);
    expect(set).toBe(threadNices(child.pid!).length);
    expect(new Set(threadNices(child.pid!))).toEqual(new Set([7]));
  });

  it('answers 0 for a process that is gone instead of failing the start', () => {
    expect(applyNice(2 ** 22 + 12345, 5)).toBe(0);
  });
});
