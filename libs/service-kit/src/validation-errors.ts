import type { FieldError } from './problem';

/** The subset of an Ajv error object the mapping needs (Fastify passes these as `error.validation`). */
export interface SchemaValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** `/items/0/quantity` → `items[0].quantity`: the field as a client would write it. */
export function fieldPath(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').filter((s) => s.length > 0);
  if (child !== undefined) segments.push(child);
  let path = '';
  for (const raw of segments) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path.length === 0 ? segment : `.${segment}`;
  }
  return path;
}

/**
 * Maps schema validation failures to field errors. Fastify's Ajv reports the missing or
 * unknown property in `params`, not in the path, so those are added to the path here.
 */
export function toFieldErrors(issues: SchemaValidationIssue[], context = 'body'): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of issues) {
    let field: string;
    let message = issue.message ?? 'is invalid';
    if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
      field = fieldPath(issue.instancePath, issue.params.missingProperty);
      message = 'is required';
    } else if (
      issue.keyword === 'additionalProperties' &&
      typeof issue.params.additionalProperty === 'string'
    ) {
      field = fieldPath(issue.instancePath, issue.params.additionalProperty);
      message = 'is not an allowed field';
    } else if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) {
      field = fieldPath(issue.instancePath);
      const allowed = issue.params.allowedValues as unknown[];
      message =
        allowed.length <= 10 ? `must be one of ${allowed.join(', ')}` : 'is not a recognised value';
    } else {
      field = fieldPath(issue.instancePath);
    }
    if (field === '') field = context === 'body' ? '(body)' : `(${context})`;
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ field, message });
  }
  return errors;
}
