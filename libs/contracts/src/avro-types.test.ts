import { describe, expect, it } from 'vitest';
import { parseAvroSchema } from './avro-types';

const schema = {
  type: 'record',
  name: 'T',
  fields: [
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
  ],
};
const uuid = '3f1c2b4a-9d7e-4c1a-8b2f-0e6d5c4b3a21';

describe('Avro logical types', () => {
  it('decodes timestamp-millis to a Date and encodes Dates or epoch milliseconds', () => {
    const type = parseAvroSchema(schema, 'test');
    const at = new Date('2026-11-27T06:00:00.123Z');
    expect(type.fromBuffer(type.toBuffer({ at, id: uuid }))).toEqual({ at, id: uuid });
    expect(type.fromBuffer(type.toBuffer({ at: at.getTime(), id: uuid }))).toEqual({
      at,
      id: uuid,
    });
    expect(type.isValid({ at: new Date('nope'), id: uuid })).toBe(false);
  });

  it('refuses to decode a uuid field that holds no UUID, without quoting the value', () => {
    const writer = parseAvroSchema(
      { ...schema, fields: [schema.fields[0], { name: 'id', type: 'string' }] },
      'writer',
    );
    const reader = parseAvroSchema(schema, 'reader');
    const bytes = writer.toBuffer({ at: 0, id: 'ada@example.com' });
    expect(() => reader.fromBuffer(bytes, reader.createResolver(writer))).toThrow(
      'a string of 15 characters is not a valid logical:uuid',
    );
  });

  it('names the source of an invalid schema', () => {
    expect(() =>
      parseAvroSchema({ type: 'record', name: 'T', fields: [{ name: 'x' }] }, 'schemas/x/T.avsc'),
    ).toThrow(/^schemas\/x\/T\.avsc: not a valid Avro schema/);
  });
});
