import { describe, expect, it } from 'vitest';
import type { JaegerSpan, JaegerTrace } from './jaeger-trace';
import { renderWaterfall, waterfallRows } from './waterfall';

const span = (
  id: string,
  parent: string | undefined,
  start: number,
  duration: number,
  pid: string,
  extra: Partial<JaegerSpan> = {},
): JaegerSpan => ({
  traceID: 't1',
  spanID: id,
  operationName: `op-${id}`,
  references: parent ? [{ refType: 'CHILD_OF', traceID: 't1', spanID: parent }] : [],
  startTime: start,
  duration,
  tags: [],
  processID: pid,
  ...extra,
});

const trace: JaegerTrace = {
  traceID: 't1',
  processes: { p1: { serviceName: 'user-service' }, p2: { serviceName: 'email-consumer' } },
  spans: [
    span('c', 'b', 3_000, 1_000, 'p2', { tags: [{ key: 'error', type: 'bool', value: true }] }),
    span('a', undefined, 1_000, 10_000, 'p1'),
    span('b', 'a', 2_000, 5_000, 'p1'),
    span('d', 'a', 2_500, 500, 'p2'),
  ],
};

describe('trace waterfall', () => {
  it('orders spans as a tree: parents first, siblings by start time, depth by ancestry', () => {
    const rows = waterfallRows(trace);
    expect(rows.map((r) => [r.spanId, r.depth])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 1],
    ]);
    expect(rows[2]).toMatchObject({
      service: 'email-consumer',
      offsetMs: 2,
      durationMs: 1,
      error: true,
    });
  });

  it('treats a span whose parent is missing from the trace as a root instead of dropping it', () => {
    const orphan: JaegerTrace = { ...trace, spans: [span('x', 'gone', 0, 10, 'p1')] };
    expect(waterfallRows(orphan).map((r) => r.spanId)).toEqual(['x']);
  });

  it('renders one line per span on a shared time axis and marks errors', () => {
    const text = renderWaterfall(trace, 10);
    const lines = text.split('\n');
    expect(lines[0]).toBe('trace t1 · 4 spans · 2 services · 10.0 ms');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain('|■■■■■■■■■■|');
    expect(lines[3]).toMatch(/op-c.*\| {2}✘ {7}\|.*error$/);
  });
});
