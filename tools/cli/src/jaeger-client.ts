import { request } from 'undici';
import { CliError } from './cli-error';
import type { JaegerTrace } from './jaeger-trace';

/** Reads traces from Jaeger's query API (the locally built Jaeger has no UI, so the CLI is the UI). */
export class JaegerClient {
  constructor(private readonly baseUrl: string) {}

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
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
    } catch (error) {
      throw new CliError(
        `Jaeger is not reachable at ${this.baseUrl} (${(error as Error).message}): start the stack with \`npx fanout stack up\` or pass --jaeger`,
      );
    }
    const text = await response.body.text();
    if (response.statusCode === 404) return { status: 404, body: undefined };
    if (response.statusCode >= 400)
      throw new CliError(
        `Jaeger answered ${response.statusCode} for ${path}: ${text.slice(0, 200)}`,
      );
    try {
      return { status: response.statusCode, body: JSON.parse(text) };
    } catch {
      throw new CliError(
        `Jaeger at ${this.baseUrl} did not answer JSON for ${path}: is that Jaeger's query port (16686)?`,
      );
    }
  }
}
