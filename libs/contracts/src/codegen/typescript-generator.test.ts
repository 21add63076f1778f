import { describe, expect, it } from 'vitest';
import type { CatalogData } from '../catalog';
import { createCatalog } from '../catalog';
import { generateContracts } from './typescript-generator';

const metadata = {
  type: 'record',
  name: 'EventMetadata',
  namespace: 'fanout.common',
  fields: [{ name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } }],
};

function generate(fields: unknown[], extraEvents: CatalogData['events'] = {}): string {
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
  const files = generateContracts(createCatalog(data), data);
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
});
