// A schema change that breaks compatibility is refused twice: by the schema gate before merge
// (the same check `npm run check:contracts` runs against git history, here against the
// registry's versions and the committed v1), and by the registry itself at publish time, because
// every subject the codec registers is set to the catalog's transitive level first.
import { describe, expect, it } from 'vitest';
import {
  RegistryCodec,
  SchemaRegistryClient,
  checkAgainstRegistry,
  checkSchemaEvolution,
  createCatalog,
  newMetadata,
} from '@fanout/contracts';
import type { Catalog, IncompatibilityKind } from '@fanout/contracts';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

const endpoints = platformEndpoints();

const metadataField = {
  name: 'metadata',
  type: {
    type: 'record',
    name: 'EventMetadata',
    namespace: 'fanout.common',
    fields: [
      { name: 'eventId', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'correlationId', type: 'string' },
      { name: 'causationId', type: ['null', 'string'], default: null },
      { name: 'producer', type: 'string' },
    ],
  },
};

/** A one-event catalog for `fanout.<ns>.ParcelScanned` on its own topic. */
function catalogWith(namespace: string, topic: string, fields: unknown[]): Catalog {
  const eventType = `${namespace}.ParcelScanned`;
  return createCatalog({
    compatibility: 'FULL_TRANSITIVE',
    topics: { [topic]: { partitions: 1, config: {} } },
    events: {
      [eventType]: {
        topic,
        key: 'parcelId',
        schemaFile: 'test/ParcelScanned.avsc',
        schema: {
          type: 'record',
          name: 'ParcelScanned',
          namespace,
          fields: [metadataField, ...fields],
        },
      },
    },
  });
}

const v1Fields = [
  { name: 'parcelId', type: 'string' },
  { name: 'depot', type: 'string' },
  { name: 'weightGrams', type: 'int' },
  {
    name: 'status',
    type: { type: 'enum', name: 'ScanStatus', symbols: ['OK', 'DAMAGED'], default: 'OK' },
  },
];

const breakingChanges: Array<{ kind: IncompatibilityKind; field: string; fields: unknown[] }> = [
  {
    kind: 'field-added-without-default',
    field: 'scanner',
    fields: [...v1Fields, { name: 'scanner', type: 'string' }],
  },
  {
    kind: 'field-removed-without-default',
    field: 'depot',
    fields: v1Fields.filter((f) => f.name !== 'depot'),
  },
  {
    kind: 'type-changed',
    field: 'weightGrams',
    fields: v1Fields.map((f) => (f.name === 'weightGrams' ? { ...f, type: 'string' } : f)),
  },
  {
    kind: 'field-renamed-without-alias',
    field: 'depot',
    fields: v1Fields.map((f) => (f.name === 'depot' ? { ...f, name: 'hub' } : f)),
  },
];

describe('schema evolution: the gate and the registry agree', () => {
  const registry = new SchemaRegistryClient({ url: endpoints.schemaRegistryUrl });

  /** Registers v1 through the codec, as a service's first publish does. */
  async function publishV1(): Promise<{ namespace: string; topic: string; subject: string }> {
    const namespace = `fanout.t${uniqueName('x').replace(/[^a-z0-9]/g, '')}`;
    const topic = uniqueName('ct-parcels');
    const codec = new RegistryCodec({ registry, catalog: catalogWith(namespace, topic, v1Fields) });
    await codec.encode(
      `${namespace}.ParcelScanned`,
      {
        metadata: newMetadata({ producer: 'test' }),
        parcelId: 'p-1',
        depot: 'BER',
        weightGrams: 1200,
        status: 'OK',
      },
      topic,
    );
    return { namespace, topic, subject: `${topic}-${namespace}.ParcelScanned` };
  }

  for (const change of breakingChanges) {
    it(`refuses ${change.kind} (${change.field}) in the gate and at the registry`, async () => {
      const { namespace, topic, subject } = await publishV1();
      expect(await registry.compatibility(subject)).toBe('FULL_TRANSITIVE');
      const next = catalogWith(namespace, topic, change.fields);
      const nextSchema = next.events[0]!.schema;

      // The gate, against the committed v1 (as check:contracts does from git) ...
      const v1Text = JSON.stringify(catalogWith(namespace, topic, v1Fields).events[0]!.schema);
      const fromGit = checkSchemaEvolution(
        'schemas/test/ParcelScanned.avsc',
        nextSchema,
        [{ version: 1, label: 'abc1234 2026-11-27', text: v1Text }],
        'FULL_TRANSITIVE',
      );
      expect(fromGit.problems[0]?.issues.map((i) => i.kind)).toContain(change.kind);
      expect(fromGit.problems[0]?.issues.map((i) => i.message).join('\n')).toContain(change.field);

      // ... and against the registry's versions.
      const fromRegistry = await checkAgainstRegistry(
        registry,
        subject,
        nextSchema,
        'FULL_TRANSITIVE',
      );
      expect(fromRegistry.problems.map((p) => p.against)).toEqual([expect.stringMatching(/^v1 /)]);
      expect(fromRegistry.problems[0]?.issues.map((i) => i.kind)).toContain(change.kind);

      // The registry refuses it too, and the codec surfaces that as a non-retriable error.
      const codec = new RegistryCodec({ registry, catalog: next });
      const payload = Object.fromEntries(
        (change.fields as Array<{ name: string; type: unknown }>).map((f) => [
          f.name,
          f.type === 'int' ? 1 : f.type === 'string' ? 'x' : 'OK',
        ]),
      );
      await expect(
        codec.encode(
          `${namespace}.ParcelScanned`,
          { metadata: newMetadata({ producer: 'test' }), ...payload },
          topic,
        ),
      ).rejects.toMatchObject({ code: 'FANOUT_SCHEMA_INCOMPATIBLE', retriable: false });
      expect(await registry.versions(subject)).toEqual([1]);
    });
  }

  it('accepts a compatible change (a new optional field) in the gate and at the registry', async () => {
    const { namespace, topic, subject } = await publishV1();
    const fields = [...v1Fields, { name: 'scanner', type: ['null', 'string'], default: null }];
    const next = catalogWith(namespace, topic, fields);
    const report = await checkAgainstRegistry(
      registry,
      subject,
      next.events[0]!.schema,
      'FULL_TRANSITIVE',
    );
    expect(report.problems).toEqual([]);

    const codec = new RegistryCodec({ registry, catalog: next });
    await codec.encode(
      `${namespace}.ParcelScanned`,
      {
        metadata: newMetadata({ producer: 'test' }),
        parcelId: 'p-2',
        depot: 'BER',
        weightGrams: 900,
        status: 'OK',
        scanner: 'gate-3',
      },
      topic,
    );
    expect(await registry.versions(subject)).toEqual([1, 2]);
  });

  it('accepts a new enum symbol when the enum has a default, in the gate and at the registry', async () => {
    const { namespace, topic, subject } = await publishV1();
    const fields = v1Fields.map((f) =>
      f.name === 'status'
        ? {
            ...f,
            type: {
              type: 'enum',
              name: 'ScanStatus',
              symbols: ['OK', 'DAMAGED', 'LOST'],
              default: 'OK',
            },
          }
        : f,
    );
    const next = catalogWith(namespace, topic, fields);
    const report = await checkAgainstRegistry(
      registry,
      subject,
      next.events[0]!.schema,
      'FULL_TRANSITIVE',
    );
    expect(report.problems).toEqual([]);
    const codec = new RegistryCodec({ registry, catalog: next });
    await codec.encode(
      `${namespace}.ParcelScanned`,
      {
        metadata: newMetadata({ producer: 'test' }),
        parcelId: 'p-3',
        depot: 'BER',
        weightGrams: 1,
        status: 'LOST',
      },
      topic,
    );
    expect(await registry.versions(subject)).toEqual([1, 2]);
  });
});
