import { describe, expect, it } from 'vitest';
import { parseAvroSchema } from './avro-types';
import { checkCompatibility } from './compatibility';

const record = (fields: unknown[]) =>
  parseAvroSchema({ type: 'record', name: 'Thing', namespace: 'fanout.test', fields }, 'test');

const id = { name: 'id', type: 'string' };

describe('checkCompatibility', () => {
  it('refuses a field added without a default, naming the field (backward)', () => {
    const issues = checkCompatibility(
      record([id, { name: 'color', type: 'string' }]),
      record([id]),
      'backward',
    );
    expect(issues).toEqual([
      expect.objectContaining({ kind: 'field-added-without-default', path: 'color' }),
    ]);
    expect(issues[0]?.message).toMatch(/color was added without a default.*Give it a "default"/);
  });

  it('accepts a field added with a default in both directions', () => {
    const next = record([id, { name: 'color', type: 'string', default: 'red' }]);
    expect(checkCompatibility(next, record([id]), 'backward')).toEqual([]);
    expect(checkCompatibility(next, record([id]), 'forward')).toEqual([]);
  });

  it('refuses a field removed that had no default (forward), and allows it backward', () => {
    const old = record([id, { name: 'color', type: 'string' }]);
    expect(checkCompatibility(record([id]), old, 'backward')).toEqual([]);
    const issues = checkCompatibility(record([id]), old, 'forward');
    expect(issues).toEqual([
      expect.objectContaining({ kind: 'field-removed-without-default', path: 'color' }),
    ]);
    expect(issues[0]?.message).toMatch(/consumers still on the old schema/);
  });

  it('accepts removing a field that had a default', () => {
    const old = record([id, { name: 'color', type: 'string', default: 'red' }]);
    expect(checkCompatibility(record([id]), old, 'forward')).toEqual([]);
  });

  it('refuses a changed type, naming the field and both types', () => {
    const issues = checkCompatibility(
      record([id, { name: 'quantity', type: 'string' }]),
      record([id, { name: 'quantity', type: 'int' }]),
      'backward',
    );
    expect(issues).toEqual([expect.objectContaining({ kind: 'type-changed', path: 'quantity' })]);
    expect(issues[0]?.message).toContain('from int to string');
  });

  it('finds a changed type inside nested records and arrays', () => {
    const item = (type: string) => ({
      type: 'array',
      items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type }] },
    });
    const issues = checkCompatibility(
      record([{ name: 'items', type: item('int') }]),
      record([{ name: 'items', type: item('string') }]),
      'backward',
    );
    expect(issues).toEqual([
      expect.objectContaining({ kind: 'type-changed', path: 'items[].sku' }),
    ]);
  });

  it('refuses a rename without an alias and suggests the alias', () => {
    const issues = checkCompatibility(
      record([{ name: 'customerId', type: 'string' }]),
      record([{ name: 'clientId', type: 'string' }]),
      'backward',
    );
    expect(issues).toEqual([
      expect.objectContaining({ kind: 'field-renamed-without-alias', path: 'clientId' }),
    ]);
    expect(issues[0]?.message).toContain('Add "aliases": ["clientId"] to customerId');
  });

  it('accepts a rename with an alias backward, but not forward (old readers know no alias)', () => {
    const renamed = record([{ name: 'customerId', type: 'string', aliases: ['clientId'] }]);
    const old = record([{ name: 'clientId', type: 'string' }]);
    expect(checkCompatibility(renamed, old, 'backward')).toEqual([]);
    expect(checkCompatibility(renamed, old, 'forward')).toEqual([
      expect.objectContaining({ kind: 'field-renamed-without-alias', path: 'clientId' }),
    ]);
  });

  it('refuses a new enum symbol that old readers cannot map, unless the enum has a default', () => {
    const enumField = (symbols: string[], extra: object = {}) => ({
      name: 'status',
      type: { type: 'enum', name: 'Status', symbols, ...extra },
    });
    expect(
      checkCompatibility(record([enumField(['A', 'B'])]), record([enumField(['A'])]), 'forward'),
    ).toEqual([expect.objectContaining({ kind: 'enum-symbol-unknown', path: 'status' })]);
    expect(
      checkCompatibility(
        record([enumField(['A', 'B'], { default: 'A' })]),
        record([enumField(['A'], { default: 'A' })]),
        'forward',
      ),
    ).toEqual([]);
  });

  it('refuses making a nullable field required', () => {
    const issues = checkCompatibility(
      record([{ name: 'note', type: 'string' }]),
      record([{ name: 'note', type: ['null', 'string'], default: null }]),
      'backward',
    );
    expect(issues).toEqual([expect.objectContaining({ kind: 'type-changed', path: 'note' })]);
  });
});
