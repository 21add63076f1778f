/** The parts of a saga changelog record (`fanout.saga.state`, JSON v1) the timeline reads. */
export interface SagaSnapshot {
  saga: string;
  sagaId: string;
  status: string;
  steps: Record<
    string,
    { status: string; startedAt?: number; finishedAt?: number; compensationAttempts: number }
  >;
  succeededOrder: string[];
  failure?: { code: string; message: string; step?: string };
  startedAt: number;
  updatedAt: number;
  endedAt?: number;
  version: number;
}

/** A command or reply of the saga as it travelled on Kafka. */
export interface SagaMessage {
  topic: string;
  eventType: string;
  /** Broker timestamp, epoch ms. */
  at: number;
}

export interface TimelineEntry {
  /** Epoch ms. */
  at: number;
  /** Milliseconds since the saga started. */
  offsetMs: number;
  kind: 'saga' | 'step' | 'command' | 'compensation' | 'reply' | 'outcome';
  what: string;
}

export interface SagaTimeline {
  saga: string;
  sagaId: string;
  status: string;
  failure?: SagaSnapshot['failure'];
  startedAt: number;
  durationMs: number | null;
  /** How many changelog versions were still there to read (compaction keeps the latest). */
  versionsRead: number;
  steps: Array<{
    name: string;
    status: string;
    startOffsetMs: number | null;
    durationMs: number | null;
    compensationAttempts: number;
  }>;
  entries: TimelineEntry[];
}

const COMPENSATION = /^(Release|Refund|Cancel|Void|Undo|Compensate)/;

/**
 * Builds the timeline of one saga from its changelog versions (state transitions) and the
 * commands and replies on its topics. Compaction may have dropped old versions: the latest
 * still carries each step's start and finish time, so the step table is always complete.
 */
export function sagaTimeline(
  snapshots: readonly SagaSnapshot[],
  messages: readonly SagaMessage[] = [],
): SagaTimeline {
  const versions = [...snapshots].sort((a, b) => a.version - b.version);
  const last = versions[versions.length - 1];
  if (!last) throw new Error('sagaTimeline needs at least one snapshot');
  const start = Math.min(last.startedAt, ...versions.map((v) => v.startedAt));
  const entries: TimelineEntry[] = [];
  const add = (at: number, kind: TimelineEntry['kind'], what: string) =>
    entries.push({ at, offsetMs: at - start, kind, what });

  let previous: SagaSnapshot | undefined;
  for (const v of versions) {
    if (!previous) add(v.startedAt, 'saga', `saga ${v.saga} started (${v.status})`);
    else if (previous.status !== v.status)
      add(v.updatedAt, 'saga', `saga ${previous.status} → ${v.status}`);
    for (const [name, step] of Object.entries(v.steps)) {
      const before = previous?.steps[name]?.status;
      if (before === step.status || (!previous && step.status === 'pending')) continue;
      const at =
        step.status === 'started'
          ? (step.startedAt ?? v.updatedAt)
          : step.finishedAt && ['succeeded', 'failed', 'timed_out'].includes(step.status)
            ? step.finishedAt
            : v.updatedAt;
      add(
        at,
        step.status.startsWith('compensat') ? 'compensation' : 'step',
        `${name}: ${before ?? 'pending'} → ${step.status}`,
      );
    }
    previous = v;
  }
  for (const m of messages) {
    const kind =
      m.topic === 'fanout.saga.replies' || m.topic.endsWith('.replies')
        ? 'reply'
        : COMPENSATION.test(m.eventType.split('.').pop() ?? '')
          ? 'compensation'
          : 'command';
    add(m.at, kind, `${m.eventType.replace(/^fanout\./, '')} on ${m.topic}`);
  }
  if (last.endedAt !== undefined)
    add(
      last.endedAt,
      'outcome',
      last.status === 'completed'
        ? 'outcome: completed'
        : `outcome: ${last.status}${last.failure ? ` (${last.failure.code}${last.failure.step ? ` at ${last.failure.step}` : ''}: ${last.failure.message})` : ''}`,
    );
  entries.sort((a, b) => a.at - b.at);

  return {
    saga: last.saga,
    sagaId: last.sagaId,
    status: last.status,
    ...(last.failure ? { failure: last.failure } : {}),
    startedAt: start,
    durationMs: last.endedAt !== undefined ? last.endedAt - start : null,
    versionsRead: versions.length,
    steps: Object.entries(last.steps).map(([name, s]) => ({
      name,
      status: s.status,
      startOffsetMs: s.startedAt !== undefined ? s.startedAt - start : null,
      durationMs:
        s.startedAt !== undefined && s.finishedAt !== undefined ? s.finishedAt - s.startedAt : null,
      compensationAttempts: s.compensationAttempts,
    })),
    entries,
  };
}

function ms(value: number | null): string {
  if (value === null) return '-';
  return Math.abs(value) >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value} ms`;
}

export function renderSagaTimeline(t: SagaTimeline): string {
  const outcome =
    t.status === 'cancelled' && t.failure
      ? `cancelled (${t.failure.code}: ${t.failure.message})`
      : t.status;
  const lines = [
    `saga ${t.saga} ${t.sagaId} · ${outcome} · ${t.durationMs === null ? 'still running' : ms(t.durationMs)} · started ${new Date(t.startedAt).toISOString()}`,
    '',
    'steps',
  ];
  const width = Math.max(...t.steps.map((s) => s.name.length), 4);
  for (const s of t.steps)
    lines.push(
      `  ${s.name.padEnd(width)}  ${s.status.padEnd(24)}  at ${(s.startOffsetMs === null ? '-' : `+${ms(s.startOffsetMs)}`).padEnd(10)} took ${ms(s.durationMs).padEnd(9)}${s.compensationAttempts ? `  compensations sent ${s.compensationAttempts}` : ''}`,
    );
  lines.push('', `timeline (${t.versionsRead} state version(s) read)`);
  for (const e of t.entries)
    lines.push(`  ${`+${ms(e.offsetMs)}`.padStart(10)}  ${e.kind.padEnd(12)}  ${e.what}`);
  return lines.join('\n');
}
