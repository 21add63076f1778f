#!/usr/bin/env node
// `npm test`: install what is missing, run every static check, provision the local platform,
// run every vitest project, and end with one line `N passed, N failed`.
// Each static check counts as one test in that line; vitest's own counts are added to it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInstalled } from './lib/ensure-installed.mjs';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.fanout');
mkdirSync(outDir, { recursive: true });

ensureInstalled(root);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const checks = Object.keys(pkg.scripts).filter((name) => name.startsWith('check:'));
const vitestArgs = process.argv.slice(2);

let passed = 0;
let failed = 0;
const failures = [];

function run(label, command, args) {
  console.log(`\n▶ ${label}: ${[command, ...args].join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${label} (${seconds}s)`);
  return ok;
}

// A filtered run (`npm test -- path/to/file`) skips the static checks.
if (vitestArgs.length === 0) {
  for (const check of checks) {
    if (run(check, 'npm', ['run', '--silent', check])) passed += 1;
    else {
      failed += 1;
      failures.push(check);
    }
  }
}

// Provisioning is cached outside the checkout, so only the first run on a machine pays for it.
if (!run('provision the local platform', 'npm', ['run', '--silent', 'stack', '--', 'provision'])) {
  failed += 1;
  failures.push('provision');
}

const report = join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
run('vitest', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...vitestArgs,
]);
if (existsSync(report)) {
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  passed += summary.numPassedTests;
  failed += summary.numFailedTests;
  // A file that fails to load has no test results of its own: count it as one failure.
  for (const file of summary.testResults ?? []) {
    // A file that fails outside its tests (a failed import or hook) has no failed test of its
    // own, and its tests show as skipped: count the file as one failure.
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed').length;
    if (file.status === 'failed' && failedTests === 0) {
      failed += 1;
      failures.push(`${file.name}: ${String(file.message ?? '').split('\n')[0]}`);
    }
    for (const t of file.assertionResults ?? [])
      if (t.status === 'failed') failures.push(t.fullName);
  }
  if (summary.numPendingTests + summary.numTodoTests > 0)
    console.log(`(${summary.numPendingTests + summary.numTodoTests} skipped or todo)`);
} else {
  failed += 1;
  failures.push('vitest produced no report');
}

if (failures.length > 0) {
  console.log('\nFailed:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
