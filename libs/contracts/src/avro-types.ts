import avsc from 'avsc';
import { NonRetriableError } from '@fanout/errors';

/**
 * How Fanout maps Avro logical types to JavaScript, in one place: the codec, the schema gate and
 * the code generator all parse schemas through `parseAvroSchema`, so the generated TypeScript
 * types always describe what the codec accepts and returns.
 *
 * - `timestamp-millis` (long) ⇄ `Date`. Encoding also accepts epoch milliseconds.
 * - `uuid` (string) ⇄ `string`, checked to be a UUID.
 * - `iso-4217` (string) ⇄ `string`, checked to be a currency code Node's Intl knows. Other Avro
 *   implementations ignore unknown logical types and see a plain string.
 */

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

class TimestampMillisType extends avsc.types.LogicalType {
  override _fromValue(value: unknown): Date {
    return new Date(value as number);
  }

  override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) {
      const ms = value.getTime();
      return Number.isNaN(ms) ? undefined : ms;
    }
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    return undefined;
  }

  override _resolve(type: avsc.Type): ((value: unknown) => Date) | undefined {
    if (avsc.Type.isType(type, 'long', 'int', 'logical:timestamp-millis')) {
      return (value) => (value instanceof Date ? value : new Date(value as number));
    }
    return undefined;
  }
}

abstract class CheckedStringType extends avsc.types.LogicalType {
  protected abstract accepts(value: string): boolean;

  override _fromValue(value: unknown): string {
    if (typeof value !== 'string' || !this.accepts(value)) {
      // Thrown while decoding: the codec turns it into FANOUT_DECODE_FAILED, whose message goes
      // to dead-letter headers and spans. The value is not quoted: it may be personal data.
      const shape =
        typeof value === 'string' ? `a string of ${value.length} characters` : typeof value;
      throw new Error(`${shape} is not a valid ${this.typeName}`);
    }
    return value;
  }

  override _toValue(value: unknown): string | undefined {
    return typeof value === 'string' && this.accepts(value) ? value : undefined;
  }

  override _resolve(type: avsc.Type): ((value: unknown) => string) | undefined {
    if (avsc.Type.isType(type, 'string', 'logical:uuid', 'logical:iso-4217')) {
      return (value) => this._fromValue(value);
    }
    return undefined;
  }
}

class UuidType extends CheckedStringType {
  protected accepts(value: string): boolean {
    return UUID_PATTERN.test(value);
  }
}

class CurrencyCodeType extends CheckedStringType {
  protected accepts(value: string): boolean {
    return CURRENCIES.has(value);
  }
}

const LOGICAL_TYPES = {
  'timestamp-millis': TimestampMillisType,
  uuid: UuidType,
  'iso-4217': CurrencyCodeType,
};

/** The logical types the generator maps to TypeScript; anything else is its underlying type. */
export const KNOWN_LOGICAL_TYPES: readonly string[] = Object.keys(LOGICAL_TYPES);

export function isKnownCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

/**
 * Parses an Avro schema (object or JSON text) into an avsc type with Fanout's logical types.
 * Throws NonRetriableError FANOUT_SCHEMA_INVALID naming `source` (a file or subject) and the
 * problem avsc found.
 */
export function parseAvroSchema(schema: unknown, source: string): avsc.Type {
  let parsed: unknown = schema;
  if (typeof schema === 'string') {
    try {
      parsed = JSON.parse(schema);
    } catch (error) {
      throw new NonRetriableError(
        'FANOUT_SCHEMA_INVALID',
        `${source}: not valid JSON: ${(error as Error).message}`,
        { details: { source } },
      );
    }
  }
  try {
    return avsc.Type.forSchema(parsed as avsc.Schema, {
      logicalTypes: LOGICAL_TYPES,
      // Unions of null and one type read as `T | null`; ambiguous unions stay wrapped.
      wrapUnions: 'auto',
      // A bad default is a schema bug: refuse it rather than guess.
      noAnonymousTypes: false,
    });
  } catch (error) {
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `${source}: not a valid Avro schema: ${(error as Error).message}`,
      { details: { source } },
    );
  }
}
