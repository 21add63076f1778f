// @fanout/contracts: the event schemas as TypeScript, the topic catalog, the registry codec and
// the schema gate. Everything a service needs to publish or read a Fanout event.

// Generated from schemas/ by `npm run codegen`.
export type * from './generated/event-types';
export { EventTypeNames } from './generated/event-types';

// Topic catalog
export { createCatalog, subjectFor } from './catalog';
export type { Catalog, CatalogData, EventSpec, TopicSpec } from './catalog';
export { defaultCatalog } from './default-catalog';
export { loadCatalog, readCatalogData, defaultSchemasDir, listSchemaFiles } from './catalog-loader';
export { ensureTopics, ensureTopicSpecs } from './topic-admin';
export { createTopicsReliably } from './create-topics';
export type { EnsureTopicsOptions, EnsureTopicsReport, TopicDrift } from './topic-admin';

// Codec and registry
export { RegistryCodec, isEventOf } from './registry-codec';
export type {
  DecodedEvent,
  EventCodec,
  RegistryCodecOptions,
  WaitUntilReadyOptions,
} from './registry-codec';
export { SchemaRegistryClient } from './schema-registry-client';
export type { SchemaRegistryClientOptions, RegisteredSchema } from './schema-registry-client';
export { frame, unframe, MAGIC_BYTE, WIRE_HEADER_BYTES } from './wire-format';
export { parseAvroSchema, isKnownCurrency } from './avro-types';

// Event metadata and ids
export { newMetadata } from './event-metadata';
export { timeOrderedUuid, timeOfUuid } from './time-ordered-id';
export type { NewMetadataOptions } from './event-metadata';

// Schema gate
export { COMPATIBILITY_LEVELS, compatibilityRules } from './compatibility-level';
export type { CompatibilityLevel } from './compatibility-level';
export { checkCompatibility } from './compatibility';
export type { Direction, Incompatibility, IncompatibilityKind } from './compatibility';
export { checkSchemaEvolution, formatGateReport } from './schema-gate';
export type { GateReport, VersionProblem } from './schema-gate';
export { readSchemaHistory } from './schema-history';
export type { SchemaVersion } from './schema-history';
export { checkAgainstRegistry, checkCatalogAgainstRegistry } from './registry-gate';
export { checkContracts } from './contracts-check';
export type { ContractsCheckResult } from './contracts-check';
export { runCodegen } from './codegen/codegen';
