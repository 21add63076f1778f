import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSchemasDir, loadCatalog } from './catalog-loader';
import { defaultCatalog } from './default-catalog';
import { newMetadata } from './event-metadata';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A copy of the real schemas/ (the files the catalog names), to break on purpose. */
function copySchemas(): string {
  dir = mkdtempSync(join(tmpdir(), 'fanout-schemas-'));
  cpSync(defaultSchemasDir(), dir, { recursive: true });
  return dir;
}

const edit = (file: string, change: (text: string) => string) =>
  writeFileSync(join(dir!, file), change(readFileSync(join(dir!, file), 'utf8')));

const errorOf = (fn: () => unknown): { code?: string; message: string } => {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected an error');
};

describe('topic catalog', () => {
  it('maps every starting event to its topic, key and subject', () => {
    const catalog = loadCatalog();
    expect(catalog.event('fanout.user.UserRegistered')).toMatchObject({
      topic: 'fanout.user.events',
      key: 'userId',
      subject: 'fanout.user.events-fanout.user.UserRegistered',
    });
    for (const name of ['OrderPlaced', 'OrderConfirmed', 'OrderCancelled'])
      expect(catalog.event(`fanout.order.${name}`)).toMatchObject({
        topic: 'fanout.order.events',
        key: 'orderId',
      });
    expect(
      catalog.topics.find((t) => t.name === 'fanout.order.events')?.partitions,
    ).toBeGreaterThan(1);
  });

  it('is the same whether read from schemas/ or from the generated data', () => {
    const fromFiles = loadCatalog();
    const generated = defaultCatalog();
    expect(generated.compatibility).toBe(fromFiles.compatibility);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...generated.topics].sort(byName)).toEqual([...fromFiles.topics].sort(byName));
    expect(generated.events.map((e) => e.eventType).sort()).toEqual(
      fromFiles.events.map((e) => e.eventType).sort(),
    );
    for (const event of fromFiles.events)
      expect(generated.event(event.eventType).type.schema({ exportAttrs: true })).toEqual(
        event.type.schema({ exportAttrs: true }),
      );
  });

  it('refuses an unknown event type with FANOUT_SCHEMA_UNKNOWN_EVENT naming it', () => {
    const error = errorOf(() => defaultCatalog().event('fanout.user.UserDeleted'));
    expect(error.code).toBe('FANOUT_SCHEMA_UNKNOWN_EVENT');
    expect(error.message).toContain('fanout.user.UserDeleted');
  });

  it('extracts the Kafka key from the key path, and refuses an empty one', () => {
    const catalog = defaultCatalog();
    const payload = { metadata: newMetadata({ producer: 'test' }), userId: 'u-1' };
    expect(catalog.keyOf('fanout.user.UserRegistered', payload)).toBe('u-1');
    const error = errorOf(() => catalog.keyOf('fanout.user.UserRegistered', { userId: '' }));
    expect(error).toMatchObject({ code: 'FANOUT_PAYLOAD_INVALID' });
    expect(error.message).toContain('userId');
  });

  it('refuses a .avsc that is not JSON, naming the file', () => {
    copySchemas();
    edit('user/UserRegistered.avsc', (t) => t.replace('"fields"', 'fields'));
    const error = errorOf(() => loadCatalog(dir));
    expect(error.code).toBe('FANOUT_SCHEMA_INVALID');
    expect(error.message).toMatch(/^schemas\/user\/UserRegistered\.avsc: not valid JSON/);
  });

  it('refuses a .avsc that is not valid Avro, naming the file and the problem', () => {
    copySchemas();
    edit('order/OrderPlaced.avsc', (t) => t.replace('"type": "int"', '"type": "integer"'));
    const error = errorOf(() => loadCatalog(dir));
    expect(error.code).toBe('FANOUT_SCHEMA_INVALID');
    expect(error.message).toContain('schemas/order/OrderPlaced.avsc: not a valid Avro schema');
    expect(error.message).toContain('integer');
  });

  it('refuses a catalog entry whose key path, topic or record name is wrong', () => {
    copySchemas();
    edit('catalog.yaml', (t) =>
      t
        .replace('key: userId', 'key: user.id')
        .replace(
          /(fanout\.order\.OrderConfirmed:\n\s+topic:) fanout\.order\.events/,
          '$1 fanout.orders',
        )
        .replace('schema: order/OrderCancelled.avsc', 'schema: order/OrderPlaced.avsc'),
    );
    const error = errorOf(() => loadCatalog(dir));
    expect(error.message).toContain('fanout.user.UserRegistered: key path user.id is not a field');
    expect(error.message).toContain(
      'fanout.order.OrderConfirmed: topic fanout.orders is not declared',
    );
    expect(error.message).toContain(
      'schemas/order/OrderPlaced.avsc: record is named fanout.order.OrderPlaced, but the catalog lists it as fanout.order.OrderCancelled',
    );
  });

  it('refuses a catalog.yaml with an unknown setting, naming its path', () => {
    copySchemas();
    edit('catalog.yaml', (t) => t.replace('partitions: 6', 'partitions: 6\n    replicas: 3'));
    const error = errorOf(() => loadCatalog(dir));
    expect(error.message).toMatch(
      /schemas\/catalog\.yaml is invalid:[\s\S]*topics\.fanout\.(user|order)\.events.*replicas/,
    );
  });
});
