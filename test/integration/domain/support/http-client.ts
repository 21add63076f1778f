export const API_KEY = 'domain-test-key-0000000001';
export const OTHER_API_KEY = 'domain-test-key-0000000002';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A plain HTTP call with an API key and a JSON body (or a raw string body). */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
    apiKey?: string | null;
  } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== null) headers['x-api-key'] = options.apiKey ?? API_KEY;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export function fieldsOf(response: JsonResponse): string[] {
  const errors = (response.body as { errors?: { field: string }[] } | undefined)?.errors ?? [];
  return errors.map((e) => e.field).sort();
}
