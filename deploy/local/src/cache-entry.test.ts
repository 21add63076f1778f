import { mkdtemp, readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkCacheEntry,
  completionMarker,
  discardCacheEntry,
  populateCacheEntry,
} from './cache-entry';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'fanout-cache-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const build = async (dir: string): Promise<void> => {
  await mkdir(join(dir, 'libs'));
  await writeFile(join(dir, 'libs', 'a.jar'), 'aaaa');
  await writeFile(join(dir, 'bin'), 'binary');
};

describe('cache entries', () => {
  it('a populated entry is complete, with every file in its marker', async () => {
    const dir = await populateCacheEntry(root, 'kafka-1', build);
    const check = await checkCacheEntry(dir, { deep: true });
    expect(check.state).toBe('complete');
    if (check.state === 'complete')
      expect(check.manifest.files.map((f) => f.path)).toEqual(['bin', 'libs/a.jar']);
  });

  it('a failed build leaves neither the entry nor its temporary directory', async () => {
    await expect(
      populateCacheEntry(root, 'kafka-1', async (dir) => {
        await build(dir);
        throw new Error('network down');
      }),
    ).rejects.toThrow('network down');
    expect(await readdir(root)).toEqual([]);
    expect((await checkCacheEntry(join(root, 'kafka-1'))).state).toBe('missing');
  });

  it('an entry without its completion marker is reported as interrupted', async () => {
    const dir = await populateCacheEntry(root, 'kafka-1', build);
    await rm(join(dir, completionMarker));
    const check = await checkCacheEntry(dir);
    expect(check).toMatchObject({ state: 'corrupt' });
    expect(check.state === 'corrupt' && check.reason).toContain('interrupted');
  });

  it('a truncated file is caught by size, a modified one by checksum', async () => {
    const dir = await populateCacheEntry(root, 'kafka-1', build);
    await writeFile(join(dir, 'bin'), 'bin');
    expect(await checkCacheEntry(dir)).toMatchObject({
      state: 'corrupt',
      reason: 'bin has 3 bytes, expected 6',
    });
    await writeFile(join(dir, 'bin'), 'BINARY');
    expect((await checkCacheEntry(dir)).state).toBe('complete');
    expect(await checkCacheEntry(dir, { deep: true })).toMatchObject({
      state: 'corrupt',
      reason: 'bin does not match its checksum',
    });
  });

  it('a discarded entry is gone and can be populated again', async () => {
    const dir = await populateCacheEntry(root, 'kafka-1', build);
    await discardCacheEntry(dir);
    expect((await checkCacheEntry(dir)).state).toBe('missing');
    await populateCacheEntry(root, 'kafka-1', build);
    expect(await readFile(join(dir, 'bin'), 'utf8')).toBe('binary');
  });
});
