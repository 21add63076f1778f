import { describe, expect, it } from 'vitest';
import type { CatalogData } from '../catalog';
import { createCatalog } from '../catalog';
import { generateContracts, readGeneratedNames } from './typescript-generator';

const metadata = {
  type: 'record',
  name: 'EventMetadata',
  namespace: 'fanout.common',
  fields: [{ name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } }],
};

function generate(
  fields: unknown[],
  extraEvents: CatalogData['events'] = {},
  previous?: string,
): string {
  const data: CatalogData = {
    compatibility: 'FULL_TRANSITIVE',
    topics: { t: { partitions: 1, config: {} } },
    events: {
      'fanout.test.Thing': {
        topic: 't',
        key: 'id',
        schemaFile: 'test/Thing.avsc',
        schema: {
          type: 'record',
          name: 'Thing',
          namespace: 'fanout.test',
          doc: 'A thing.',
          fields: [{ name: 'metadata', type: metadata }, { name: 'id', type: 'string' }, ...fields],
        },
      },
      ...extraEvents,
    },
  };
  const files = generateContracts(createCatalog(data), data, readGeneratedNames(previous));
  return files.find((f) => f.path === 'event-types.ts')!.contents;
}

describe('TypeScript generator', () => {
  it('maps records to interfaces and timestamp-millis to Date, as the codec decodes them', () => {
    const ts = generate([]);
    expect(ts).toContain('export interface EventMetadata {\n  occurredAt: Date;\n}');
    expect(ts).toContain('export interface Thing {\n  metadata: EventMetadata;\n  id: string;\n}');
    expect(ts).toContain(' * A thing.\n *\n * Avro `fanout.test.Thing`.');
  });

  it('maps enums to literal unions, nullable unions to T | null, arrays, maps and numbers', () => {
    const ts = generate([
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['A', 'B'] } },
      { name: 'note', type: ['null', 'string'], default: null, doc: 'Optional.' },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'counts', type: { type: 'map', values: 'long' } },
      { name: 'ratio', type: 'double' },
      { name: 'blob', type: 'bytes' },
      { name: 'price', type: { type: 'string', logicalType: 'iso-4217' } },
    ]);
    expect(ts).toContain("export type Status = 'A' | 'B';");
    expect(ts).toContain('  /** Optional. */\n  note: string | null;');
    expect(ts).toContain('  tags: string[];');
    expect(ts).toContain('  counts: Record<string, number>;');
    expect(ts).toContain('  ratio: number;');
    expect(ts).toContain('  blob: Buffer;');
    expect(ts).toContain('  price: string;');
  });

  it('keeps unions avsc cannot unwrap in their wrapped form', () => {
    const ts = generate([
      {
        name: 'choice',
        type: [
          { type: 'record', name: 'A', fields: [{ name: 'x', type: 'string' }] },
          { type: 'record', name: 'B', fields: [{ name: 'y', type: 'string' }] },
        ],
      },
    ]);
    expect(ts).toContain("  choice: { 'fanout.test.A': A } | { 'fanout.test.B': B };");
  });

  it('emits the EventTypes map and the event type names', () => {
    const ts = generate([]);
    expect(ts).toContain("export interface EventTypes {\n  'fanout.test.Thing': Thing;\n}");
    expect(ts).toContain("  Thing: 'fanout.test.Thing',");
  });

  it('qualifies a short name two namespaces share', () => {
    const other: CatalogData['events'] = {
      'fanout.other.Thing': {
        topic: 't',
        key: 'id',
        schemaFile: 'other/Thing.avsc',
        schema: {
          type: 'record',
          name: 'Thing',
          namespace: 'fanout.other',
          fields: [
            { name: 'metadata', type: 'fanout.common.EventMetadata' },
            { name: 'id', type: 'string' },
          ],
        },
      },
    };
    // The second schema is self-contained in real life; here it refers to the name for brevity.
    other['fanout.other.Thing']!.schema = {
      ...(other['fanout.other.Thing']!.schema as object),
      fields: [
        { name: 'metadata', type: metadata },
        { name: 'id', type: 'string' },
      ],
    };
    const ts = generate([], other);
    expect(ts).toContain('export interface TestThing {');
    expect(ts).toContain('export interface OtherThing {');
    expect(ts).toContain("  'fanout.other.Thing': OtherThing;");
  });

  it('keeps a published type name when a new schema brings the same short name', () => {
    const address = (namespace: string) => ({
      name: 'address',
      type: {
        type: 'record',
        name: 'Address',
        namespace,
        fields: [{ name: 'city', type: 'string' }],
      },
    });
    const before = generate([address('fanout.test')]);
    expect(before).toContain('export interface Address {');

    const parcel: CatalogData['events'] = {
      'fanout.parcel.Parcel': {
        topic: 't',
        key: 'id',
        schemaFile: 'parcel/Parcel.avsc',
        schema: {
          type: 'record',
          name: 'Parcel',
          namespace: 'fanout.parcel',
          fields: [
            { name: 'metadata', type: metadata },
            { name: 'id', type: 'string' },
            address('fanout.parcel'),
          ],
        },
      },
    };
    const after = generate([address('fanout.test')], parcel, before);
    expect(after).toContain('export interface Address {');
    expect(after).toContain('export interface ParcelAddress {');
    expect(after).toContain('  address: ParcelAddress;');
    // Without the earlier output, both would be qualified.
    expect(generate([address('fanout.test')], parcel)).toContain('export interface TestAddress {');
  });

  it('refuses two different definitions of one record name across event schemas', () => {
    const other: CatalogData['events'] = {
      'fanout.test.Other': {
        topic: 't',
        key: 'id',
        schemaFile: 'test/Other.avsc',
        schema: {
          type: 'record',
          name: 'Other',
          namespace: 'fanout.test',
          fields: [
            {
              name: 'metadata',
              type: { ...metadata, fields: [{ name: 'occurredAt', type: 'long' }] },
            },
            { name: 'id', type: 'string' },
          ],
        },
      },
    };
    expect(() => generate([], other)).toThrow(
      /fanout\.common\.EventMetadata is defined differently in schemas\/test\/(Thing|Other)\.avsc and schemas\/test\/(Thing|Other)\.avsc/,
    );
  });
});
