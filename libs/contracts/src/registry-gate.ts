import type { Catalog } from './catalog';
import type { CompatibilityLevel } from './compatibility-level';
import type { GateReport } from './schema-gate';
import { checkSchemaEvolution } from './schema-gate';
import type { SchemaRegistryClient } from './schema-registry-client';

/**
 * The schema gate against the registry instead of git: compares `schema` with every version
 * registered under `subject` (oldest first), with the same explanations as the git gate. Use it
 * before a deploy to an environment whose registry may hold versions git never saw.
 */
export async function checkAgainstRegistry(
  registry: SchemaRegistryClient,
  subject: string,
  schema: unknown,
  level: CompatibilityLevel,
): Promise<GateReport> {
  const earlier = [];
  for (const version of await registry.versions(subject)) {
    const registered = await registry.version(subject, version);
    earlier.push({ version, label: `registry id ${registered.id}`, text: registered.schema });
  }
  return checkSchemaEvolution(subject, schema, earlier, level);
}

/** `checkAgainstRegistry` for every event of a catalog, under its catalog subject and level. */
export async function checkCatalogAgainstRegistry(
  registry: SchemaRegistryClient,
  catalog: Catalog,
): Promise<GateReport[]> {
  const reports: GateReport[] = [];
  for (const event of catalog.events)
    reports.push(
      await checkAgainstRegistry(registry, event.subject, event.schema, catalog.compatibility),
    );
  return reports;
}
