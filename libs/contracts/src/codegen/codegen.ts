import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCatalog } from '../catalog';
import { defaultSchemasDir, readCatalogData } from '../catalog-loader';
import { generateContracts, readGeneratedNames } from './typescript-generator';

export function defaultGeneratedDir(): string {
  return fileURLToPath(new URL('../generated', import.meta.url));
}

export interface CodegenResult {
  /** Files whose contents differ from what the schemas generate (all of them when writing). */
  changed: string[];
}

/**
 * Generates libs/contracts/src/generated from schemas/. With `check`, writes nothing and
 * returns the stale files instead. Throws FANOUT_SCHEMA_INVALID naming the file on bad input.
 */
export function runCodegen(
  options: { schemasDir?: string; outDir?: string; check?: boolean } = {},
): CodegenResult {
  const schemasDir = options.schemasDir ?? defaultSchemasDir();
  const outDir = options.outDir ?? defaultGeneratedDir();
  const data = readCatalogData(schemasDir);
  const previous = join(outDir, 'event-types.ts');
  const previousNames = readGeneratedNames(
    existsSync(previous) ? readFileSync(previous, 'utf8') : undefined,
  );
  const files = generateContracts(createCatalog(data), data, previousNames);
  const changed: string[] = [];
  for (const file of files) {
    const path = join(outDir, file.path);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === file.contents) continue;
    changed.push(file.path);
    if (!options.check) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(path, file.contents);
    }
  }
  return { changed };
}
