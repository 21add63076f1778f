import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Written last, after every file: its presence means the entry was completely written. */
export const completionMarker = '.fanout-complete.json';

export interface CacheFile {
  path: string;
  size: number;
  /** sha256 of the content, or `link:<target>` for a symlink. */
  sha256: string;
}

export interface CacheManifest {
  entry: string;
  createdAt: string;
  files: CacheFile[];
}

export type CacheCheck =
  | { state: 'complete'; manifest: CacheManifest }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string };

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(dir: string, base: string = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else out.push(relative(base, full));
  }
  return out.sort();
}

async function describe(dir: string, path: string): Promise<CacheFile> {
  const full = join(dir, path);
  const stat = await lstat(full);
  if (stat.isSymbolicLink()) return { path, size: 0, sha256: `link:${await readlink(full)}` };
  return { path, size: stat.size, sha256: await sha256Of(full) };
}

/**
 * Checks an entry against its completion marker. `deep` also re-hashes every file (about a
 * second per 300 MB); without it, only presence and sizes are compared.
 */
export async function checkCacheEntry(dir: string, { deep = false } = {}): Promise<CacheCheck> {
  let raw: string;
  try {
    raw = await readFile(join(dir, completionMarker), 'utf8');
  } catch {
    try {
      await lstat(dir);
    } catch {
      return { state: 'missing' };
    }
    return {
      state: 'corrupt',
      reason: `no completion marker (${completionMarker}): a provisioning run was interrupted`,
    };
  }
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(raw) as CacheManifest;
    if (!Array.isArray(manifest.files) || manifest.files.length === 0)
      throw new Error('no file list');
  } catch (error) {
    return {
      state: 'corrupt',
      reason: `unreadable completion marker: ${(error as Error).message}`,
    };
  }
  for (const file of manifest.files) {
    const full = join(dir, file.path);
    let stat;
    try {
      stat = await lstat(full);
    } catch {
      return { state: 'corrupt', reason: `${file.path} is missing` };
    }
    if (!file.sha256.startsWith('link:') && stat.size !== file.size)
      return {
        state: 'corrupt',
        reason: `${file.path} has ${stat.size} bytes, expected ${file.size}`,
      };
    if (deep) {
      const actual = await describe(dir, file.path);
      if (actual.sha256 !== file.sha256)
        return { state: 'corrupt', reason: `${file.path} does not match its checksum` };
    }
  }
  return { state: 'complete', manifest };
}

/**
 * Builds an entry in a temporary sibling directory and renames it into place only after the
 * completion marker is written, so readers never see a half-written entry. If another process
 * finished the same entry first, its result is kept and this one is thrown away.
 */
export async function populateCacheEntry(
  root: string,
  entry: string,
  build: (tmpDir: string) => Promise<void>,
): Promise<string> {
  await mkdir(root, { recursive: true });
  const finalDir = join(root, entry);
  const tmpDir = join(root, `.tmp-${entry}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmpDir, { recursive: true });
  try {
    await build(tmpDir);
    const files = await Promise.all((await listFiles(tmpDir)).map((p) => describe(tmpDir, p)));
    const manifest: CacheManifest = { entry, createdAt: new Date().toISOString(), files };
    await writeFile(join(tmpDir, completionMarker), `${JSON.stringify(manifest, null, 1)}\n`);
    try {
      await rename(tmpDir, finalDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Someone else finished first; theirs wins if it is complete.
      if ((await checkCacheEntry(finalDir)).state !== 'complete') throw error;
    }
    return finalDir;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

/** Moves a broken entry aside first, so a crash while deleting cannot leave it half-present. */
export async function discardCacheEntry(dir: string): Promise<void> {
  const trash = `${dir}.trash-${randomBytes(4).toString('hex')}`;
  try {
    await rename(dir, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(trash, { recursive: true, force: true });
}
