import { isDeepStrictEqual } from 'node:util';
import type { CatalogData } from './catalog';

export const EVENT_METADATA_FILE = 'common/EventMetadata.avsc';

/**
 * Registry schemas must be self-contained, so every event embeds the EventMetadata record
 * instead of referencing it. This proves each embedded copy is exactly the one source of truth
 * (schemas/common/EventMetadata.avsc), docs included. Returns one line per event that differs.
 */
export function findMetadataDrift(data: CatalogData, metadataSchema: unknown): string[] {
  const problems: string[] = [];
  for (const [eventType, entry] of Object.entries(data.events)) {
    const fields = (entry.schema as { fields?: Array<{ name?: string; type?: unknown }> }).fields;
    const embedded = Array.isArray(fields) ? fields.find((f) => f.name === 'metadata') : undefined;
    if (!embedded)
      problems.push(`schemas/${entry.schemaFile} (${eventType}): has no metadata field`);
    else if (!isDeepStrictEqual(embedded.type, metadataSchema))
      problems.push(
        `schemas/${entry.schemaFile} (${eventType}): field metadata differs from schemas/${EVENT_METADATA_FILE}; copy that record into it verbatim`,
      );
  }
  return problems;
}
