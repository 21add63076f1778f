#!/usr/bin/env node
// `npm stop`: stops what `npm start` started (verified by pid), and nothing else.
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const result = spawnSync('npm', ['run', '--silent', 'stack', '--', 'down'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
