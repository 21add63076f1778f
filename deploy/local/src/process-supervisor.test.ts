import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isOurs, notOurs, settledCmdline, spawnManaged } from './process-supervisor';

describe('settledCmdline', () => {
  it('retries an argv that reads empty right after the exec instead of recording it', () => {
    const reads = [[], [], ['/opt/jaeger', '--config', 'j.yaml']];
    const slept: number[] = [];
    const argv = settledCmdline(7, ['jaeger', '--config', 'j.yaml'], {
      read: () => reads.shift(),
      sleep: (ms) => void slept.push(ms),
    });
    expect(argv).toEqual(['/opt/jaeger', '--config', 'j.yaml']);
    expect(slept).toEqual([5, 5]);
  });

  it('falls back to the argv it was started with when the process is gone or never shows one', () => {
    expect(
      settledCmdline(7, ['a', 'b'], { read: () => undefined, sleep: () => undefined }),
    ).toEqual(['a', 'b']);
    let reads = 0;
    const argv = settledCmdline(7, ['a'], {
      read: () => (reads++, []),
      sleep: () => undefined,
      timeoutMs: 50,
    });
    expect(argv).toEqual(['a']);
    expect(reads).toBe(11);
  });
});

describe('spawnManaged', () => {
  it('records an identity that isOurs accepts at once, and refuses once the process has exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    try {
      const procs = Array.from({ length: 20 }, (_, i) =>
        spawnManaged({
          name: `sleep-${i}`,
          command: 'sleep',
          args: ['30'],
          cwd: dir,
          env: process.env,
          logFile: join(dir, `sleep-${i}.log`),
        }),
      );
      for (const proc of procs) {
        expect(proc.cmdline).toEqual(['sleep', '30']);
        expect(isOurs(proc)).toBe(true);
      }
      const other = { ...procs[0]!, cmdline: ['sleep', '31'] };
      expect(notOurs(other)).toBe(`pid ${other.pid} runs "sleep 30", not the recorded "sleep 31"`);
      for (const proc of procs) process.kill(proc.pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Reaped by this process, or a zombie until then: either way no longer ours.
      for (const proc of procs) expect(notOurs(proc)).toBe(`pid ${proc.pid} has exited`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
