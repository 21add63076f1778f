#!/usr/bin/env node
// `npm run check:audit`: dependencies audited at high severity (`npm audit --audit-level=high`).
//
// What is audited: the whole lock file, devDependencies included. What ships is what
// `npm ci` installs, and the service image (deploy/docker/service.Dockerfile) runs `npm ci`
// without --omit=dev and starts every service through tsx, a devDependency: omitting dev
// dependencies would skip code that runs in production.
//
// Exit codes: 0 nothing high or critical · 1 high or critical advisories (listed with package,
// severity and advisory URL) · 2 npm audit could not run for a local reason · 3 NOT CHECKED: the
// advisory service could not be reached or answered with an error. scripts/test.mjs counts 3 as
// neither passed nor failed and prints it before its final line; the one-line reason goes to the
// file named by FANOUT_CHECK_NOTE_FILE when set.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { EXIT, classifyAudit, formatAudit } from './lib/npm-audit-report.mjs';

const root = new URL('..', import.meta.url).pathname;
const TIMEOUT_MS = 120_000;

const run = spawnSync('npm', ['audit', '--audit-level=high', '--json'], {
  cwd: root,
  encoding: 'utf8',
  timeout: TIMEOUT_MS,
  maxBuffer: 64 * 1024 * 1024,
  env: process.env,
});
const timedOut = run.error?.code === 'ETIMEDOUT';
const result = classifyAudit({
  status: run.status,
  stdout: run.stdout,
  stderr: run.stderr,
  error: timedOut ? undefined : run.error,
  timedOut,
});
const lines = formatAudit(result);
const print = result.kind === 'clean' ? console.log : console.error;
for (const line of lines) print(line);
if (result.kind === 'unavailable' && process.env.FANOUT_CHECK_NOTE_FILE) {
  writeFileSync(process.env.FANOUT_CHECK_NOTE_FILE, `${lines.at(-1)}\n`);
}
process.exit(EXIT[result.kind]);
