import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { NonRetriableError } from '@fanout/errors';

const REDACTED = '[REDACTED]';

/**
 * A credential that does not leak by accident: it prints, serializes and inspects as
 * [REDACTED]. Only the client's request path calls `reveal()`, to build the Authorization
 * header; errors, logs and spans only ever see the wrapper.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    if (value.length === 0) throw new TypeError('Secret: empty value');
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** Replaces every occurrence of the secret in `text` (an API may echo it in an error). */
  redact(text: string): string {
    return text.split(this.#value).join(REDACTED);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export interface CredentialSource {
  /** The env variable the key came from, e.g. CRM_API_KEY; named in errors. */
  variable: string;
  /** The key itself (from `<API>_API_KEY`). */
  value?: string | undefined;
  /** A file holding the key (from `<API>_API_KEY_FILE`, e.g. a mounted Kubernetes secret). */
  file?: string | undefined;
}

/**
 * Resolves an API key from the environment value or a secret file, for a service's config.ts.
 * Exactly one source must be set. Fails with FANOUT_CONFIG_INVALID naming the variable (never
 * the value). A trailing newline in the file is dropped, as secret files usually have one.
 */
export function loadCredential(source: CredentialSource): Secret {
  const { variable } = source;
  const value = source.value?.trim() ? source.value.trim() : undefined;
  const file = source.file?.trim() ? source.file.trim() : undefined;
  if (value && file) {
    throw new NonRetriableError(
      'FANOUT_CONFIG_INVALID',
      `${variable} and ${variable}_FILE are both set: set only one`,
      { details: { variable } },
    );
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new NonRetriableError(
        'FANOUT_CONFIG_INVALID',
        `${variable}_FILE: cannot read ${file} (${reason})`,
        { details: { variable: `${variable}_FILE` } },
      );
    }
    const key = text.trim();
    if (!key) {
      throw new NonRetriableError('FANOUT_CONFIG_INVALID', `${variable}_FILE: ${file} is empty`, {
        details: { variable: `${variable}_FILE` },
      });
    }
    return new Secret(key);
  }
  if (value) return new Secret(value);
  throw new NonRetriableError(
    'FANOUT_CONFIG_INVALID',
    `${variable} is missing: set ${variable} or ${variable}_FILE`,
    { details: { variable } },
  );
}
