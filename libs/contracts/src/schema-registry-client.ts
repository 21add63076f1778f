import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import type { CompatibilityLevel } from './compatibility-level';

export interface SchemaRegistryClientOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  url: string;
  /** Per request: connect, headers and body each. Default 5000. */
  timeoutMs?: number;
}

export interface RegisteredSchema {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * A small client for the Confluent schema registry API on undici, so every failure maps to one
 * Fanout error: network trouble, timeouts and 5xx are RetriableError FANOUT_REGISTRY_UNAVAILABLE;
 * an unknown schema id is FANOUT_UNKNOWN_SCHEMA_ID; a refused schema is FANOUT_SCHEMA_INCOMPATIBLE
 * or FANOUT_SCHEMA_INVALID. All of those but the first are NonRetriableError.
 */
export class SchemaRegistryClient {
  readonly url: string;
  private readonly dispatcher: Dispatcher;

  constructor(options: SchemaRegistryClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    const timeout = options.timeoutMs ?? 5000;
    this.dispatcher = new Agent({
      connect: { timeout },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 30_000,
    });
  }

  /** Resolves when the registry answers; throws RetriableError FANOUT_REGISTRY_UNAVAILABLE. */
  async ping(): Promise<void> {
    await this.call('GET', '/config');
  }

  /** The id and version of `schema` under `subject`, or undefined when not registered. */
  async lookup(subject: string, schema: string): Promise<RegisteredSchema | undefined> {
    const res = await this.call('POST', `/subjects/${enc(subject)}`, { schema }, [404]);
    return res.status === 404 ? undefined : (res.body as RegisteredSchema);
  }

  /** Registers `schema` under `subject` (idempotent) and returns its global id. */
  async register(subject: string, schema: string): Promise<number> {
    const res = await this.call('POST', `/subjects/${enc(subject)}/versions`, {
      schema,
      schemaType: 'AVRO',
    });
    return (res.body as { id: number }).id;
  }

  /** The schema text for a global id; NonRetriableError FANOUT_UNKNOWN_SCHEMA_ID when unknown. */
  async schemaById(id: number): Promise<string> {
    const res = await this.call('GET', `/schemas/ids/${id}`, undefined, [404]);
    if (res.status === 404)
      throw new NonRetriableError(
        'FANOUT_UNKNOWN_SCHEMA_ID',
        `schema id ${id} is unknown to the registry at ${this.url}`,
        { details: { schemaId: id } },
      );
    return (res.body as { schema: string }).schema;
  }

  /** Version numbers of a subject, oldest first; [] when the subject does not exist. */
  async versions(subject: string): Promise<number[]> {
    const res = await this.call('GET', `/subjects/${enc(subject)}/versions`, undefined, [404]);
    return res.status === 404 ? [] : (res.body as number[]);
  }

  async version(subject: string, version: number): Promise<RegisteredSchema> {
    const res = await this.call('GET', `/subjects/${enc(subject)}/versions/${version}`);
    return res.body as RegisteredSchema;
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    const path = `/config/${enc(subject)}`;
    // Apicurio answers 409 "A rule named 'COMPATIBILITY' already exists" to the loser of two
    // clients creating a subject's rule at the same moment (two instances starting together).
    // The rule exists by then, so a second PUT updates it.
    const first = await this.call('PUT', path, { compatibility: level }, [409]);
    if (first.status === 409) await this.call('PUT', path, { compatibility: level });
  }

  /** The subject's own level, or undefined when it inherits the global one. */
  async compatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    const res = await this.call('GET', `/config/${enc(subject)}`, undefined, [404]);
    return res.status === 404
      ? undefined
      : (res.body as { compatibilityLevel?: CompatibilityLevel }).compatibilityLevel;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    expected: number[] = [],
  ): Promise<{ status: number; body: unknown }> {
    const where = `${method} ${this.url}${path}`;
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.url}${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers:
          body === undefined
            ? { accept: CONTENT_TYPE }
            : { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (error) {
      throw new RetriableError(
        'FANOUT_REGISTRY_UNAVAILABLE',
        `schema registry unreachable (${where}): ${describeNetworkError(error)}`,
        { cause: error, details: { url: this.url } },
      );
    }
    const parsed = parseJson(text);
    if ((status >= 200 && status < 300) || expected.includes(status))
      return { status, body: parsed };

    const reason =
      parsed && typeof parsed === 'object' && 'message' in parsed
        ? String((parsed as { message: unknown }).message)
        : text.slice(0, 300);
    const details = { url: this.url, status };
    if (status === 409)
      throw new NonRetriableError(
        'FANOUT_SCHEMA_INCOMPATIBLE',
        `registry refused the schema (${where}): ${reason}`,
        { details },
      );
    if (status === 422)
      throw new NonRetriableError(
        'FANOUT_SCHEMA_INVALID',
        `registry refused the schema (${where}): ${reason}`,
        { details },
      );
    if (status === 401 || status === 403)
      throw new NonRetriableError(
        'FANOUT_CONFIG_INVALID',
        `registry denied access (${where}): HTTP ${status}`,
        { details },
      );
    if (status === 408 || status === 429 || status >= 500)
      throw new RetriableError(
        'FANOUT_REGISTRY_UNAVAILABLE',
        `registry failed (${where}): HTTP ${status}: ${reason}`,
        { details },
      );
    // Any other 4xx is a bug in the request and would fail the same way again.
    throw new NonRetriableError(
      'FANOUT_REGISTRY_REQUEST_FAILED',
      `registry refused the request (${where}): HTTP ${status}: ${reason}`,
      { details },
    );
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  return code ? `${code} ${e.message ?? ''}`.trim() : String(e.message ?? error);
}
