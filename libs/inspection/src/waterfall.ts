import type { JaegerSpan, JaegerTrace } from './jaeger-trace';
import { isErrorSpan } from './jaeger-trace';

export interface WaterfallRow {
  depth: number;
  service: string;
  operation: string;
  /** Milliseconds from the trace's first span. */
  offsetMs: number;
  durationMs: number;
  error: boolean;
  /** Linked (FOLLOWS_FROM) rather than a child. */
  linked: boolean;
  spanId: string;
}

/**
 * Orders a trace's spans as a tree (parents before children, siblings by start time), the way
 * Jaeger's UI draws it. Spans whose parent is missing from the trace are shown as roots.
 */
export function waterfallRows(trace: JaegerTrace): WaterfallRow[] {
  const spans = [...trace.spans].sort((a, b) => a.startTime - b.startTime);
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  const children = new Map<string, JaegerSpan[]>();
  const roots: JaegerSpan[] = [];
  for (const span of spans) {
    const parentRef = span.references.find((r) => byId.has(r.spanID));
    if (!parentRef) roots.push(span);
    else children.set(parentRef.spanID, [...(children.get(parentRef.spanID) ?? []), span]);
  }
  const start = spans[0]?.startTime ?? 0;
  const rows: WaterfallRow[] = [];
  const visit = (span: JaegerSpan, depth: number) => {
    rows.push({
      depth,
      service: trace.processes[span.processID]?.serviceName ?? span.processID,
      operation: span.operationName,
      offsetMs: (span.startTime - start) / 1000,
      durationMs: span.duration / 1000,
      error: isErrorSpan(span),
      linked: span.references.some((r) => r.refType === 'FOLLOWS_FROM' && byId.has(r.spanID)),
      spanId: span.spanID,
    });
    for (const child of children.get(span.spanID) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

/** A text waterfall: one line per span, indented by depth, with a bar on a shared time axis. */
export function renderWaterfall(trace: JaegerTrace, width = 40): string {
  const rows = waterfallRows(trace);
  if (rows.length === 0) return `trace ${trace.traceID}: no spans`;
  const total = Math.max(...rows.map((r) => r.offsetMs + r.durationMs), 0.001);
  const services = new Set(rows.map((r) => r.service));
  const labels = rows.map((r) => `${'  '.repeat(r.depth)}${r.linked ? '↪ ' : ''}${r.operation}`);
  const serviceWidth = Math.max(...rows.map((r) => r.service.length));
  const labelWidth = Math.min(Math.max(...labels.map((l) => l.length)), 60);
  const lines = [
    `trace ${trace.traceID} · ${rows.length} spans · ${services.size} services · ${formatMs(total)}`,
  ];
  rows.forEach((row, i) => {
    const from = Math.floor((row.offsetMs / total) * width);
    const length = Math.max(1, Math.round((row.durationMs / total) * width));
    const bar = ' '.repeat(from) + (row.error ? '✘' : '■').repeat(Math.min(length, width - from));
    const label =
      labels[i]!.length > labelWidth ? `${labels[i]!.slice(0, labelWidth - 1)}…` : labels[i]!;
    lines.push(
      `${row.service.padEnd(serviceWidth)}  ${label.padEnd(labelWidth)}  |${bar.padEnd(width)}|  ${formatMs(row.offsetMs).padStart(9)}  ${formatMs(row.durationMs).padStart(9)}${row.error ? '  error' : ''}`,
    );
  });
  return lines.join('\n');
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
