import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { BenchContext } from './bench-context';
import { note } from './progress';

/**
 * Runs one of the per-issue benchmarks as its own process against the bench stack (the
 * FANOUT_* variables), relays its output lines as progress, and returns the JSON it wrote.
 */
export async function runChildBenchmark(
  ctx: BenchContext,
  options: { name: string; script: string; args: string[]; jsonOut: string; timeoutMs: number },
): Promise<unknown> {
  rmSync(options.jsonOut, { force: true });
  const tracked = ctx.children.spawn(
    options.name,
    process.execPath,
    ['--import', 'tsx', options.script, ...options.args, `--json-out=${options.jsonOut}`],
    {
      cwd: ctx.root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'warn',
        ...ctx.platformEnv,
      },
      onLine: (line) => {
        const text = line.trim();
        if (text) note(`${options.name} │ ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`);
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    tracked.exited,
    new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)),
    ),
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await ctx.children.stop(tracked, 10_000);
    throw new Error(
      `${options.name} did not finish within ${options.timeoutMs / 60_000} min (log: ${tracked.logFile})`,
    );
  }
  if (outcome.code !== 0 || !existsSync(options.jsonOut))
    throw new Error(
      `${options.name} failed (exit ${outcome.code ?? outcome.signal}); log: ${tracked.logFile}\n${tracked.tail()}`,
    );
  return JSON.parse(readFileSync(options.jsonOut, 'utf8')) as unknown;
}
