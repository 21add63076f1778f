#!/usr/bin/env node
// The headless browser of the console's browser tests: Debian's `chromium`, driven by
// playwright-core (which downloads no browser of its own). Installed with apt-get when missing
// and this runs as root; otherwise a clear error naming the command to run. Exit 0 when found.
import { spawnSync } from 'node:child_process';
import { chromiumPath } from './lib/chromium-path.mjs';

const found = chromiumPath();
if (found) {
  console.log(`chromium: ${found}`);
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.error(
    'chromium is not installed, and installing it needs root: run `sudo apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary',
  );
  process.exit(1);
}
for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
  console.log(`apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed (exit ${result.status}): chromium is missing`);
    process.exit(1);
  }
}
const installed = chromiumPath();
if (!installed) {
  console.error('apt-get installed chromium, but no chromium binary is on PATH');
  process.exit(1);
}
console.log(`chromium: ${installed}`);
