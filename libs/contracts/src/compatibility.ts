import avsc from 'avsc';

/**
 * Schema compatibility with avsc resolvers, explained field by field.
 *
 * avsc decides: `reader.createResolver(writer)` succeeds exactly when data written with
 * `writer` can be read with `reader`. BACKWARD means the new schema reads old data; FORWARD
 * means the old schema reads new data. When avsc refuses, `explainIncompatibility` walks both
 * schemas to say which field broke and how to fix it.
 */
export type Direction = 'backward' | 'forward';

export type IncompatibilityKind =
  | 'field-added-without-default'
  | 'field-removed-without-default'
  | 'field-renamed-without-alias'
  | 'type-changed'
  | 'enum-symbol-unknown'
  | 'record-renamed'
  | 'other';

export interface Incompatibility {
  kind: IncompatibilityKind;
  direction: Direction;
  /** Dotted field path from the event root, e.g. `shippingAddress.country`, `items[].sku`. */
  path: string;
  message: string;
}

/** Problems reading data written with `oldType` by `newType` (backward) or the reverse (forward). */
export function checkCompatibility(
  newType: avsc.Type,
  oldType: avsc.Type,
  direction: Direction,
): Incompatibility[] {
  const [reader, writer] = direction === 'backward' ? [newType, oldType] : [oldType, newType];
  try {
    reader.createResolver(writer);
    return [];
  } catch (error) {
    const issues = explain(reader, writer, '', direction);
    return issues.length > 0
      ? issues
      : [{ kind: 'other', direction, path: '', message: (error as Error).message }];
  }
}

function canRead(reader: avsc.Type, writer: avsc.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

function underlying(type: avsc.Type): avsc.Type {
  return avsc.Type.isType(type, 'logical') ? (type as avsc.types.LogicalType).underlyingType : type;
}

function describe(type: avsc.Type): string {
  const plain = underlying(type);
  if (plain.name) return plain.name;
  const schema = type.schema();
  return typeof schema === 'string' ? schema : JSON.stringify(schema);
}

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

const consequence = (direction: Direction): string =>
  direction === 'backward'
    ? 'the new schema cannot read events written with the old one'
    : 'consumers still on the old schema cannot read events written with the new one';

function explain(
  reader: avsc.Type,
  writer: avsc.Type,
  path: string,
  direction: Direction,
): Incompatibility[] {
  if (canRead(reader, writer)) return [];
  const r = underlying(reader);
  const w = underlying(writer);
  const at = path || '(root)';

  if (avsc.Type.isType(w, 'union')) {
    // Every branch the writer may have used must be readable.
    const branches = (w as avsc.types.UnwrappedUnionType).types.filter((b) => !canRead(reader, b));
    if (
      !avsc.Type.isType(r, 'union') &&
      branches.length > 0 &&
      branches.length < (w as avsc.types.UnwrappedUnionType).types.length
    ) {
      return [typeChanged(reader, writer, at, direction)];
    }
  }

  if (avsc.Type.isType(r, 'record') && avsc.Type.isType(w, 'record')) {
    const issues: Incompatibility[] = [];
    const rr = r as avsc.types.RecordType;
    const wr = w as avsc.types.RecordType;
    if (rr.name !== wr.name && !(rr.aliases ?? []).includes(wr.name ?? ''))
      issues.push({
        kind: 'record-renamed',
        direction,
        path: at,
        message: `record ${at} was renamed from ${direction === 'backward' ? wr.name : rr.name} to ${direction === 'backward' ? rr.name : wr.name} without an alias: ${consequence(direction)}. Keep the name, or add the old one to "aliases".`,
      });
    const matched = new Set<string>();
    const missing: avsc.types.Field[] = [];
    for (const field of rr.fields) {
      const source = wr.fields.find((f) => f.name === field.name || field.aliases.includes(f.name));
      if (source) {
        matched.add(source.name);
        issues.push(...explain(field.type, source.type, join(path, field.name), direction));
      } else if (field.defaultValue() === undefined) {
        missing.push(field);
      }
    }
    for (const field of missing) {
      const renamedFrom = wr.fields.find(
        (f) =>
          !matched.has(f.name) &&
          !rr.fields.some((g) => g.name === f.name) &&
          canRead(field.type, f.type),
      );
      const fieldPath = join(path, field.name);
      if (renamedFrom) {
        matched.add(renamedFrom.name);
        const [oldName, newName] =
          direction === 'backward'
            ? [renamedFrom.name, field.name]
            : [field.name, renamedFrom.name];
        issues.push({
          kind: 'field-renamed-without-alias',
          direction,
          path: join(path, oldName),
          message:
            direction === 'backward'
              ? `field ${join(path, oldName)} looks renamed to ${newName} without an alias: ${consequence(direction)}. Add "aliases": ["${oldName}"] to ${newName}.`
              : `field ${join(path, oldName)} looks renamed to ${newName}, and the old schema has no default for ${oldName}: ${consequence(direction)} (an alias only helps new readers). Keep ${oldName}.`,
        });
      } else if (direction === 'backward') {
        issues.push({
          kind: 'field-added-without-default',
          direction,
          path: fieldPath,
          message: `field ${fieldPath} was added without a default: ${consequence(direction)}. Give it a "default".`,
        });
      } else {
        issues.push({
          kind: 'field-removed-without-default',
          direction,
          path: fieldPath,
          message: `field ${fieldPath} was removed, and the old schema has no default for it: ${consequence(direction)}. Keep the field: only a field with a default in every earlier version can be removed.`,
        });
      }
    }
    return issues;
  }

  if (avsc.Type.isType(r, 'enum') && avsc.Type.isType(w, 'enum')) {
    const known = new Set((r as avsc.types.EnumType).symbols);
    const unknown = (w as avsc.types.EnumType).symbols.filter((s) => !known.has(s));
    if (unknown.length > 0)
      return [
        {
          kind: 'enum-symbol-unknown',
          direction,
          path: at,
          message:
            direction === 'backward'
              ? `enum ${at} lost symbol(s) ${unknown.join(', ')}: ${consequence(direction)}. Keep them, or give the enum a "default".`
              : `enum ${at} gained symbol(s) ${unknown.join(', ')}, and the old enum has no "default": ${consequence(direction)}.`,
        },
      ];
  }

  if (avsc.Type.isType(r, 'array') && avsc.Type.isType(w, 'array')) {
    const issues = explain(
      (r as avsc.types.ArrayType).itemsType,
      (w as avsc.types.ArrayType).itemsType,
      `${path}[]`,
      direction,
    );
    if (issues.length > 0) return issues;
  }
  if (avsc.Type.isType(r, 'map') && avsc.Type.isType(w, 'map')) {
    const issues = explain(
      (r as avsc.types.MapType).valuesType,
      (w as avsc.types.MapType).valuesType,
      `${path}{}`,
      direction,
    );
    if (issues.length > 0) return issues;
  }
  return [typeChanged(reader, writer, at, direction)];
}

function typeChanged(
  reader: avsc.Type,
  writer: avsc.Type,
  at: string,
  direction: Direction,
): Incompatibility {
  const [from, to] = direction === 'backward' ? [writer, reader] : [reader, writer];
  return {
    kind: 'type-changed',
    direction,
    path: at,
    message: `field ${at} changed type from ${describe(from)} to ${describe(to)}: ${consequence(direction)}.`,
  };
}
