import { request } from 'undici';
import { FanoutError } from '@fanout/errors';
import type { JaegerTrace } from './jaeger-trace';

export interface JaegerClientOptions {
  /** Builds the error thrown when Jaeger is unreachable or answers badly (the CLI's own error). */
  error?: (message: string) => Error;
  /** Hint appended to "not reachable" (what the caller's user should do). */
  unreachableHint?: string;
  timeoutMs?: number;
}

/**
 * Reads traces from Jaeger's query API (the locally built Jaeger has no UI, so the CLI and the
 * console are the UI). Every request is bounded by `timeoutMs` (default 10 s).
 */
export class JaegerClient {
  private readonly error: (message: string) => Error;
  constructor(
    private readonly baseUrl: string,
    private readonly options: JaegerClientOptions = {},
  ) {
    this.error =
      options.error ??
      ((message) => new FanoutError('FANOUT_JAEGER_UNAVAILABLE', message, { retriable: true }));
  }

  async trace(traceId: string): Promise<JaegerTrace | undefined> {
    const { status, body } = await this.get(`/api/traces/${encodeURIComponent(traceId)}`);
    if (status === 404) return undefined;
    const data = (body as { data?: JaegerTrace[] }).data ?? [];
    return data[0];
  }

  async services(): Promise<string[]> {
    const { body } = await this.get('/api/services');
    return ((body as { data?: string[] | null }).data ?? []).filter((s) => s !== 'jaeger');
  }

  /** Traces of a service whose spans carry tag=value, newest first. */
  async findTraces(
    service: string,
    tags: Record<string, string>,
    limit = 20,
  ): Promise<JaegerTrace[]> {
    const query = new URLSearchParams({
      service,
      tags: JSON.stringify(tags),
      limit: String(limit),
      lookback: '2d',
    });
    const { body } = await this.get(`/api/traces?${query}`);
    return (body as { data?: JaegerTrace[] | null }).data ?? [];
  }

  private async get(path: string): Promise<{ status: number; body: unknown }> {
    let response;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        headersTimeout: this.options.timeoutMs ?? 10_000,
        bodyTimeout: this.options.timeoutMs ?? 10_000,
      });
    } catch (error) {
      throw this.error(
        `Jaeger is not reachable at ${this.baseUrl} (${(error as Error).message})${this.options.unreachableHint ? `: ${this.options.unreachableHint}` : ''}`,
      );
    }
    const text = await response.body.text();
    if (response.statusCode === 404) return { status: 404, body: undefined };
    if (response.statusCode >= 400)
      throw this.error(`Jaeger answered ${response.statusCode} for ${path}: ${text.slice(0, 200)}`);
    try {
      return { status: response.statusCode, body: JSON.parse(text) };
    } catch {
      throw this.error(
        `Jaeger at ${this.baseUrl} did not answer JSON for ${path}: is that Jaeger's query port (16686)?`,
      );
    }
  }
}
