import type avsc from 'avsc';
import { NonRetriableError } from '@fanout/errors';

/**
 * Checks a payload against its schema before it is encoded, so a bad event is refused at the
 * producer with the field named, instead of reaching consumers. Undeclared fields are refused
 * too: avsc would silently drop them.
 */
export function assertValidPayload(eventType: string, type: avsc.Type, value: unknown): void {
  const problems: string[] = [];
  const valid = type.isValid(value, {
    noUndeclaredFields: true,
    errorHook(path: string[], any: unknown, failed: avsc.Type) {
      problems.push(describeProblem(path, any, failed));
    },
  });
  if (valid) return;
  const fields = problems.map((p) => p.slice(0, p.indexOf(':')));
  throw new NonRetriableError(
    'FANOUT_PAYLOAD_INVALID',
    `${eventType} payload does not match its schema: ${problems.join('; ')}`,
    { details: { eventType, fields } },
  );
}

function describeProblem(path: string[], value: unknown, type: avsc.Type): string {
  const field = path.length > 0 ? path.join('.') : '(root)';
  if (type.typeName === 'record' && value !== null && typeof value === 'object') {
    const declared = new Set((type as avsc.types.RecordType).fields.map((f) => f.name));
    const extra = Object.keys(value).filter((k) => !declared.has(k));
    if (extra.length > 0) return `${field}: undeclared field(s) ${extra.join(', ')}`;
  }
  if (value === undefined) return `${field}: missing (expected ${expected(type)})`;
  return `${field}: expected ${expected(type)}, got ${shown(value)}`;
}

function expected(type: avsc.Type): string {
  switch (type.typeName) {
    case 'logical:timestamp-millis':
      return 'a Date or epoch milliseconds';
    case 'logical:uuid':
      return 'a UUID string';
    case 'logical:iso-4217':
      return 'an ISO 4217 currency code';
    case 'int':
      return 'a 32-bit integer';
    case 'long':
      return 'an integer';
    case 'enum':
      return `one of ${(type as avsc.types.EnumType).symbols.join(', ')}`;
    case 'union:unwrapped':
    case 'union:wrapped':
      return (type as avsc.types.UnwrappedUnionType).types.map(expected).join(' or ');
    default:
      return type.name ?? type.typeName;
  }
}

function shown(value: unknown): string {
  if (value instanceof Date) return 'an invalid Date';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  // Values can be personal data: show strings by length only.
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return JSON.stringify(value) ?? String(value);
}
