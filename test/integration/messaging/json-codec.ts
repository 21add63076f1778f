import { NonRetriableError } from '@fanout/errors';
import type { DecodedEvent, EventCodec } from '@fanout/messaging';

/**
 * A test codec with the Confluent framing (magic byte 0, 4-byte schema id) around JSON, so
 * these tests exercise the runtime without the registry. Schema id 1 means "JSON event";
 * anything else is an unknown schema, as the registry codec would report it.
 */
export class JsonWireCodec implements EventCodec {
  async encode(eventType: string, value: unknown): Promise<Buffer> {
    const body = Buffer.from(JSON.stringify({ eventType, value }));
    const header = Buffer.alloc(5);
    header.writeUInt8(0, 0);
    header.writeUInt32BE(1, 1);
    return Buffer.concat([header, body]);
  }

  async decode(bytes: Buffer): Promise<DecodedEvent> {
    if (bytes.length < 5 || bytes.readUInt8(0) !== 0) {
      throw new NonRetriableError('FANOUT_DECODE_FAILED', 'not Confluent wire format (magic byte)');
    }
    const schemaId = bytes.readUInt32BE(1);
    if (schemaId !== 1) {
      throw new NonRetriableError('FANOUT_UNKNOWN_SCHEMA_ID', `unknown schema id ${schemaId}`);
    }
    try {
      const { eventType, value } = JSON.parse(bytes.subarray(5).toString('utf8')) as {
        eventType: string;
        value: unknown;
      };
      return { eventType, value, schemaId };
    } catch (error) {
      throw new NonRetriableError('FANOUT_DECODE_FAILED', 'body is not JSON', { cause: error });
    }
  }
}
