import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PlatformEndpoints } from './endpoints';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Runs the local platform's CLI (`npm run stack`). A child process rather than an import:
 * this lib is `type:lib` and the platform is `type:tool`, which libs may not depend on; and
 * the platform's processes outlive the call anyway.
 */
function stack(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'deploy/local/src/cli.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(
              `npm run stack -- ${args.join(' ')} failed (exit ${code}); see the output above`,
            ),
          ),
    );
  });
}

export interface LocalStackOptions {
  profile: string;
  portOffset: number;
}

/** Starts what is not running; `started` is empty when the stack was already healthy. */
export async function upLocalPlatform({
  profile,
  portOffset,
}: LocalStackOptions): Promise<{ endpoints: PlatformEndpoints; started: string[] }> {
  const out = await stack([
    'up',
    '--profile',
    profile,
    '--port-offset',
    String(portOffset),
    '--json',
  ]);
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as { endpoints: PlatformEndpoints; started: string[] };
}

/** Stops exactly the processes `upLocalPlatform` reported as started, nothing else. */
export async function downLocalPlatform(
  { profile }: LocalStackOptions,
  started: readonly string[],
): Promise<void> {
  await stack(['down', '--profile', profile, ...started]);
}
