import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './paths';
import { buildEntries, buildServices, compiledServiceEntry } from './service-build';
import { serviceCommand } from './service-runner';
import { serviceCatalog } from './services';

const catalogNames = serviceCatalog.map((s) => s.name).sort();

describe('service build', () => {
  it('compiles exactly the services of the catalog', () => {
    expect(buildEntries(repoRoot)).toEqual(catalogNames);
  });

  describe('output', () => {
    let outDir: string;
    beforeAll(async () => {
      outDir = mkdtempSync(join(tmpdir(), 'fanout-build-'));
      await buildServices(repoRoot, { outDir });
    }, 120_000);
    afterAll(() => rmSync(outDir, { recursive: true, force: true }));

    it.each(catalogNames)('holds %s as one ES module with its libs bundled', (name) => {
      const file = join(outDir, name, 'main.mjs');
      expect(existsSync(file)).toBe(true);
      const code = readFileSync(file, 'utf8');
      // Workspace libs are TypeScript source: plain node could not import them.
      expect(code).not.toMatch(/from ["']@fanout\//);
      expect(code).not.toMatch(/import\(["']@fanout\//);
    });

    it('keeps node_modules packages external, native better-sqlite3 included', () => {
      const code = readFileSync(join(outDir, 'user-service', 'main.mjs'), 'utf8');
      expect(code).toMatch(/from "better-sqlite3"/);
      expect(code).toMatch(/from "kafkajs"/);
    });
  });
});

describe('serviceCommand', () => {
  it('runs a service from source through tsx by default', () => {
    const { args } = serviceCommand(repoRoot, 'user-service');
    expect(args).toEqual(['--import', 'tsx', join(repoRoot, 'services/user-service/src/main.ts')]);
  });

  it('runs the compiled entry with plain node when compiled', () => {
    const { args, entry } = serviceCommand(repoRoot, 'user-service', { compiled: true });
    expect(entry).toBe(compiledServiceEntry(repoRoot, 'user-service'));
    expect(args).not.toContain('tsx');
    expect(args.at(-1)).toBe(join(repoRoot, 'dist/user-service/main.mjs'));
  });
});
