import type avsc from 'avsc';
import { NonRetriableError } from '@fanout/errors';
import { parseAvroSchema } from './avro-types';
import type { CompatibilityLevel } from './compatibility-level';
import { COMPATIBILITY_LEVELS } from './compatibility-level';

/** The catalog as data: what schemas/catalog.yaml says, with each event's schema inlined. */
export interface CatalogData {
  compatibility: CompatibilityLevel;
  topics: Record<string, { partitions: number; config: Record<string, string> }>;
  events: Record<string, { topic: string; key: string; schemaFile: string; schema: unknown }>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Topic-level configs, as Kafka strings (`cleanup.policy`, `retention.ms`, ...). */
  config: Readonly<Record<string, string>>;
}

export interface EventSpec {
  /** The Avro full name, e.g. `fanout.user.UserRegistered`; also the `fanout.event_type` header. */
  eventType: string;
  topic: string;
  /** Path in the payload of the Kafka key (the aggregate id), e.g. `userId`. */
  key: string;
  /** Path relative to schemas/, for messages. */
  schemaFile: string;
  /** The self-contained schema, as registered at the registry. */
  schema: unknown;
  /** The parsed schema, with Fanout's logical types. */
  type: avsc.Type;
  /** TopicRecordNameStrategy subject for the catalog topic. */
  subject: string;
}

export interface Catalog {
  readonly compatibility: CompatibilityLevel;
  readonly topics: readonly TopicSpec[];
  readonly events: readonly EventSpec[];
  /** The spec of an event type; throws NonRetriableError FANOUT_SCHEMA_UNKNOWN_EVENT. */
  event(eventType: string): EventSpec;
  hasEvent(eventType: string): boolean;
  eventsOnTopic(topic: string): EventSpec[];
  /** The Kafka key of an event: the value at the catalog's key path, a non-empty string. */
  keyOf(eventType: string, payload: unknown): string;
}

/** TopicRecordNameStrategy: one topic may carry several event types, each its own subject. */
export function subjectFor(topic: string, eventType: string): string {
  return `${topic}-${eventType}`;
}

/**
 * Validates catalog data and compiles it: every event's schema parses, is named like its
 * catalog entry, carries `metadata`, and has a string at its key path; every topic is declared.
 * Errors name the schema file or catalog entry (NonRetriableError FANOUT_SCHEMA_INVALID).
 */
export function createCatalog(data: CatalogData, source = 'schemas/catalog.yaml'): Catalog {
  const problems: string[] = [];
  if (!COMPATIBILITY_LEVELS.includes(data.compatibility))
    problems.push(
      `${source}: compatibility ${JSON.stringify(data.compatibility)} is not one of ${COMPATIBILITY_LEVELS.join(', ')}`,
    );

  const topics: TopicSpec[] = [];
  for (const [name, topic] of Object.entries(data.topics)) {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name))
      problems.push(`${source}: topic ${JSON.stringify(name)} is not a valid Kafka topic name`);
    if (!Number.isInteger(topic.partitions) || topic.partitions < 1)
      problems.push(`${source}: topic ${name}: partitions must be a positive integer`);
    topics.push({ name, partitions: topic.partitions, config: { ...topic.config } });
  }

  const events: EventSpec[] = [];
  for (const [eventType, entry] of Object.entries(data.events)) {
    const where = `${source}: event ${eventType}`;
    if (!(entry.topic in data.topics))
      problems.push(`${where}: topic ${entry.topic} is not declared under topics`);
    let type: avsc.Type;
    try {
      type = parseAvroSchema(entry.schema, `schemas/${entry.schemaFile}`);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    if (type.typeName !== 'record') {
      problems.push(`schemas/${entry.schemaFile}: an event schema must be a record`);
      continue;
    }
    if (type.name !== eventType)
      problems.push(
        `schemas/${entry.schemaFile}: record is named ${type.name}, but the catalog lists it as ${eventType}`,
      );
    const metadata = fieldAt(type, 'metadata');
    if (!metadata || metadata.name !== 'fanout.common.EventMetadata')
      problems.push(
        `schemas/${entry.schemaFile}: field metadata of type fanout.common.EventMetadata is missing`,
      );
    const key = fieldAt(type, entry.key);
    if (!key) problems.push(`${where}: key path ${entry.key} is not a field of the schema`);
    else if (key.typeName !== 'string' && !key.typeName.startsWith('logical:'))
      problems.push(`${where}: key path ${entry.key} must be a string field, not ${key.typeName}`);
    events.push({
      eventType,
      topic: entry.topic,
      key: entry.key,
      schemaFile: entry.schemaFile,
      schema: entry.schema,
      type,
      subject: subjectFor(entry.topic, eventType),
    });
  }
  if (problems.length > 0)
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `The topic catalog is invalid:\n  - ${problems.join('\n  - ')}`,
      { details: { problems } },
    );

  const byType = new Map(events.map((e) => [e.eventType, e]));
  return {
    compatibility: data.compatibility,
    topics,
    events,
    hasEvent: (eventType) => byType.has(eventType),
    event(eventType) {
      const spec = byType.get(eventType);
      if (!spec)
        throw new NonRetriableError(
          'FANOUT_SCHEMA_UNKNOWN_EVENT',
          `Unknown event type ${JSON.stringify(eventType)}: the catalog knows ${[...byType.keys()].join(', ')}`,
          { details: { eventType } },
        );
      return spec;
    },
    eventsOnTopic: (topic) => events.filter((e) => e.topic === topic),
    keyOf(eventType, payload) {
      const spec = this.event(eventType);
      let value: unknown = payload;
      for (const part of spec.key.split('.'))
        value =
          value !== null && typeof value === 'object'
            ? (value as Record<string, unknown>)[part]
            : undefined;
      if (typeof value !== 'string' || value.length === 0)
        throw new NonRetriableError(
          'FANOUT_PAYLOAD_INVALID',
          `${eventType}: key field ${spec.key} must be a non-empty string`,
          { details: { eventType, field: spec.key } },
        );
      return value;
    },
  };
}

/** The type at a dotted path of record fields, or undefined. */
function fieldAt(type: avsc.Type, path: string): avsc.Type | undefined {
  let current: avsc.Type | undefined = type;
  for (const part of path.split('.')) {
    if (!current || current.typeName !== 'record') return undefined;
    current = (current as avsc.types.RecordType).fields.find((f) => f.name === part)?.type;
  }
  return current;
}
