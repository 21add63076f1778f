import { platformEndpoints } from '@fanout/test-platform';

export interface Span {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}
export interface Trace {
  traceID: string;
  spans: Span[];
  processes: Record<string, { serviceName: string }>;
}

async function get<T>(path: string): Promise<T | undefined> {
  const response = await fetch(`${platformEndpoints().jaegerQueryUrl}${path}`, {
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for ${path}`);
  return (await response.json()) as T;
}

/** Trace ids of one service's spans tagged with `tags`. */
export async function findTraceIds(
  service: string,
  tags: Record<string, string>,
): Promise<string[]> {
  const query = new URLSearchParams({
    service,
    tags: JSON.stringify(tags),
    limit: '20',
    lookback: '1h',
  });
  const body = await get<{ data: Trace[] | null }>(`/api/traces?${query}`);
  return [...new Set((body?.data ?? []).map((t) => t.traceID))];
}

export async function getTrace(traceId: string): Promise<Trace | undefined> {
  return (await get<{ data: Trace[] }>(`/api/traces/${traceId}`))?.data[0];
}

export const tag = (span: Span, key: string): unknown =>
  span.tags.find((t) => t.key === key)?.value;
export const serviceOf = (trace: Trace, span: Span): string =>
  trace.processes[span.processID]?.serviceName ?? '?';

export function parentOf(trace: Trace, span: Span): Span | undefined {
  const ref = span.references.find((r) => r.refType === 'CHILD_OF');
  return ref ? trace.spans.find((s) => s.spanID === ref.spanID) : undefined;
}

/** The chain of parents up to the root. */
export function ancestors(trace: Trace, span: Span): Span[] {
  const chain: Span[] = [];
  for (let p = parentOf(trace, span); p && chain.length < 100; p = parentOf(trace, p))
    chain.push(p);
  return chain;
}

/** Spans whose CHILD_OF parent is not in the trace (a complete trace has exactly one: its root). */
export function roots(trace: Trace): Span[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter(
    (s) => !s.references.some((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)),
  );
}

export const endOf = (span: Span): number => span.startTime + span.duration;
