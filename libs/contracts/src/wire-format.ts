import { NonRetriableError } from '@fanout/errors';

/** Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body. */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(WIRE_HEADER_BYTES);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/** Splits a framed record; NonRetriableError FANOUT_DECODE_FAILED when it is not one. */
export function unframe(bytes: Buffer): { schemaId: number; body: Buffer } {
  if (!Buffer.isBuffer(bytes) || bytes.length < WIRE_HEADER_BYTES)
    throw new NonRetriableError(
      'FANOUT_DECODE_FAILED',
      `not Confluent wire format: ${Buffer.isBuffer(bytes) ? `${bytes.length} bytes, need at least ${WIRE_HEADER_BYTES}` : 'no value'}`,
      { details: { length: Buffer.isBuffer(bytes) ? bytes.length : null } },
    );
  const magic = bytes.readUInt8(0);
  if (magic !== MAGIC_BYTE)
    throw new NonRetriableError(
      'FANOUT_DECODE_FAILED',
      `not Confluent wire format: magic byte is ${magic}, expected ${MAGIC_BYTE}`,
      { details: { magicByte: magic } },
    );
  return { schemaId: bytes.readUInt32BE(1), body: bytes.subarray(WIRE_HEADER_BYTES) };
}
