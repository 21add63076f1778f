import { describe, expect, it } from 'vitest';
import { frame, unframe } from './wire-format';

describe('Confluent wire format', () => {
  it('writes magic byte 0 and the schema id big-endian before the body', () => {
    const bytes = frame(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect([...bytes]).toEqual([0, 1, 2, 3, 4, 0xaa, 0xbb]);
    expect(unframe(bytes)).toEqual({ schemaId: 0x01020304, body: Buffer.from([0xaa, 0xbb]) });
  });

  it('refuses a wrong magic byte as FANOUT_DECODE_FAILED', () => {
    expect(() => unframe(Buffer.from('{"json":true}'))).toThrow(
      expect.objectContaining({ code: 'FANOUT_DECODE_FAILED', retriable: false }),
    );
  });

  it('refuses a record shorter than the header as FANOUT_DECODE_FAILED', () => {
    expect(() => unframe(Buffer.from([0, 0, 1]))).toThrow(/3 bytes, need at least 5/);
  });
});
