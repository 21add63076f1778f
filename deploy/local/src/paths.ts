import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this package lives in: runtime state is per checkout. */
export const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/**
 * Provisioned components live outside the checkout, keyed by version, like Maven's and Go's
 * own caches: a fresh clone (CI) reuses them instead of rebuilding.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(homedir(), '.cache');
  return join(base, 'fanout');
}

/** Pids, logs and data of one profile of one checkout. Gitignored (`.fanout/`). */
export function stateDir(profile: string, root: string = repoRoot): string {
  return join(root, '.fanout', 'stack', profile);
}
