// Reads one trace back from Jaeger's query API (v1 JSON: spans with references, processes).

export interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: JaegerTag[];
  logs: { fields: JaegerTag[] }[];
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

export function tag(span: JaegerSpan | undefined, key: string): unknown {
  return span?.tags.find((t) => t.key === key)?.value;
}

export function parentOf(span: JaegerSpan | undefined): string | undefined {
  return span?.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

/**
 * Polls until the trace holds at least `minSpans` spans: Jaeger indexes asynchronously after the
 * OTLP export returns. Bounded by `attempts` x `intervalMs`.
 */
export async function waitForTrace(
  queryUrl: string,
  traceId: string,
  minSpans: number,
  { attempts = 40, intervalMs = 500 } = {},
): Promise<JaegerTrace> {
  let last: JaegerTrace | undefined;
  for (let i = 0; i < attempts; i += 1) {
    const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
    if (response.ok) {
      const body = (await response.json()) as { data?: JaegerTrace[] };
      last = body.data?.[0];
      if (last && last.spans.length >= minSpans) return last;
    } else {
      await response.body?.cancel();
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `trace ${traceId} has ${last?.spans.length ?? 0} spans in Jaeger after ${attempts} polls, expected ${minSpans}`,
  );
}
