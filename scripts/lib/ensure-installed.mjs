// Installs the workspace's npm dependencies when they are missing or older than the lock file,
// so `npm start` and `npm test` work on a fresh clone with nothing run before them.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function ensureInstalled(root) {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  console.log('▶ installing npm dependencies (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(
      '✘ npm ci failed: see the output above. Fix the lock file or the network, then run again.',
    );
    process.exit(result.status ?? 1);
  }
}
