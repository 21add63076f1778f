import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { NonRetriableError } from '@fanout/errors';
import type { Catalog, CatalogData } from './catalog';
import { createCatalog } from './catalog';
import { COMPATIBILITY_LEVELS } from './compatibility-level';

/** The repository's schemas/ folder, found relative to this file (services run from source). */
export function defaultSchemasDir(): string {
  return fileURLToPath(new URL('../../../schemas', import.meta.url));
}

const kafkaConfigValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const catalogFile = z
  .object({
    compatibility: z.enum(COMPATIBILITY_LEVELS),
    topics: z.record(
      z
        .object({
          partitions: z.number().int().positive(),
          config: z.record(kafkaConfigValue).default({}),
        })
        .strict(),
    ),
    events: z.record(
      z
        .object({
          topic: z.string().min(1),
          key: z.string().min(1),
          schema: z.string().regex(/\.avsc$/, 'must be a .avsc path relative to schemas/'),
        })
        .strict(),
    ),
  })
  .strict();

/** Reads one .avsc file as JSON; errors name the file (FANOUT_SCHEMA_INVALID). */
export function readSchemaFile(schemasDir: string, file: string): unknown {
  const path = join(schemasDir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `schemas/${file}: cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { details: { file } },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `schemas/${file}: not valid JSON: ${(error as Error).message}`,
      { details: { file } },
    );
  }
}

/** Reads schemas/catalog.yaml and the schemas it names, as data (not yet validated). */
export function readCatalogData(schemasDir = defaultSchemasDir()): CatalogData {
  const file = join(schemasDir, 'catalog.yaml');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `schemas/catalog.yaml: cannot be read: ${(error as Error).message}`,
    );
  }
  const parsed = catalogFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `schemas/catalog.yaml is invalid:\n  - ${problems.join('\n  - ')}`,
      { details: { problems } },
    );
  }
  const events: CatalogData['events'] = {};
  for (const [eventType, entry] of Object.entries(parsed.data.events)) {
    events[eventType] = {
      topic: entry.topic,
      key: entry.key,
      schemaFile: entry.schema,
      schema: readSchemaFile(schemasDir, entry.schema),
    };
  }
  return { compatibility: parsed.data.compatibility, topics: parsed.data.topics, events };
}

/** Loads and validates the catalog from schemas/ (codegen, the gate, tools and tests). */
export function loadCatalog(schemasDir = defaultSchemasDir()): Catalog {
  return createCatalog(readCatalogData(schemasDir));
}

/** Every .avsc under schemas/, as paths relative to it, sorted. */
export function listSchemaFiles(schemasDir = defaultSchemasDir()): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.avsc')) found.push(relative(schemasDir, path));
    }
  };
  walk(schemasDir);
  return found.sort();
}
