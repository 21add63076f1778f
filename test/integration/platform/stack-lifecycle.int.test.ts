// The stack CLI's promises, on a Jaeger-only profile (it starts in a second): `up` is
// idempotent, a taken port is refused naming its owner, and `down` signals only its own pids.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isPlatformError,
  platformStatus,
  startPlatform,
  stateDir,
  stopPlatform,
} from '@fanout/local-platform';

const stack = {
  profile: 'lifecycle-test',
  portOffset: 5_000,
  components: ['jaeger' as const],
  log: () => undefined,
};
const quiet = { ...stack, components: [...stack.components] };

afterAll(async () => {
  await stopPlatform({ profile: stack.profile, log: () => undefined });
});

describe('stack lifecycle', () => {
  it('a second up finds the stack healthy and starts nothing', async () => {
    const first = await startPlatform(quiet);
    expect(first.started).toEqual(['jaeger']);
    const second = await startPlatform(quiet);
    expect(second.started).toEqual([]);
    expect(
      (await platformStatus({ profile: stack.profile, components: ['jaeger'] })).components[0],
    ).toMatchObject({ name: 'jaeger', healthy: true });
  });

  it('two concurrent ups on one profile start the stack once', async () => {
    await stopPlatform({ profile: stack.profile, log: () => undefined });
    const [a, b] = await Promise.all([startPlatform(quiet), startPlatform(quiet)]);
    expect([...a.started, ...b.started]).toEqual(['jaeger']);
  });

  it('down does not signal a pid that no longer belongs to the process it started', async () => {
    const file = join(stateDir(stack.profile), 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      processes: Record<string, { pid: number }>;
    };
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    const real = state.processes.jaeger;
    expect(real).toBeDefined();
    // As if the recorded process had died and the kernel had handed its pid to `sleep`.
    state.processes.impostor = { ...real!, pid: stranger.pid! };
    writeFileSync(file, JSON.stringify(state));
    const stopped = await stopPlatform({ profile: stack.profile, log: () => undefined });
    expect(stopped).toEqual(['jaeger']);
    expect(stranger.exitCode).toBeNull();
    expect(() => process.kill(stranger.pid!, 0)).not.toThrow();
    stranger.kill('SIGKILL');
  });

  it('a port taken by another process is refused, naming the port and its owner pid', async () => {
    const port = 4318 + stack.portOffset;
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const error = await startPlatform(quiet).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPlatformError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'FANOUT_PLATFORM_PORT_IN_USE', component: 'jaeger' });
      expect((error as Error).message).toContain(`port ${port} (jaeger OTLP HTTP)`);
      expect((error as Error).message).toContain(`pid ${process.pid}`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    // Nothing was left running by the refused start.
    expect(
      (await platformStatus({ profile: stack.profile, components: ['jaeger'] })).components[0]?.pid,
    ).toBeUndefined();
  });
});
