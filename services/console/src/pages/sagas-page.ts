import type { SagaTimeline } from '@fanout/inspection';
import type { SagaRow } from '../console-view';
import { html } from '../html-template';
import { formatDuration, formatTime } from './display-format';
import { layout } from './layout';

export function sagasPage(sagas: readonly SagaRow[]): string {
  const body = html`<h1>Sagas</h1>
    <table data-testid="sagas">
      <thead>
        <tr>
          <th>started</th>
          <th>saga</th>
          <th>id</th>
          <th>status</th>
          <th>failure</th>
        </tr>
      </thead>
      <tbody>
        ${sagas.map(
          (s) =>
            html`<tr data-saga-id="${s.sagaId}" data-status="${s.status}">
              <td class="mono">${formatTime(s.startedAt)}</td>
              <td>${s.saga}</td>
              <td class="mono"><a href="/sagas/${encodeURIComponent(s.sagaId)}">${s.sagaId}</a></td>
              <td>
                <span
                  class="state state-${s.status === 'completed'
                    ? 'done'
                    : s.status === 'cancelled' || s.status === 'failed'
                      ? 'dead-lettered'
                      : 'retrying'}"
                  >${s.status}</span
                >
              </td>
              <td>
                ${s.failure
                  ? `${s.failure.code}${s.failure.step ? ` at ${s.failure.step}` : ''}`
                  : ''}
              </td>
            </tr>`,
        )}
        ${sagas.length === 0
          ? html`<tr>
              <td colspan="5" class="muted">no sagas yet</td>
            </tr>`
          : ''}
      </tbody>
    </table>`;
  return layout('Sagas', body, { section: '/sagas' });
}

const KIND_CLASS: Record<string, string> = {
  compensation: 'compensation',
  reply: 'reply',
  outcome: 'error',
};

/** One saga on a timeline: the data of `fanout saga` (steps, replies, compensations, outcome). */
export function sagaPage(t: SagaTimeline): string {
  const span = Math.max(t.durationMs ?? 0, ...t.entries.map((e) => e.offsetMs), 1);
  const outcome =
    t.status === 'cancelled' && t.failure
      ? `cancelled (${t.failure.code}: ${t.failure.message})`
      : t.status;
  const body = html`<h1>Saga ${t.saga} <span class="mono muted">${t.sagaId}</span></h1>
    <p data-testid="saga-outcome" data-status="${t.status}">
      ${outcome} · ${t.durationMs === null ? 'still running' : formatDuration(t.durationMs)} ·
      started ${formatTime(t.startedAt)} ·
      <a href="/events?q=${encodeURIComponent(t.sagaId)}">events of this order</a>
    </p>
    <h2>Steps</h2>
    <table data-testid="saga-steps">
      <thead>
        <tr>
          <th>step</th>
          <th>status</th>
          <th>at</th>
          <th>took</th>
          <th>compensations sent</th>
        </tr>
      </thead>
      <tbody>
        ${t.steps.map(
          (s) =>
            html`<tr data-step="${s.name}" data-status="${s.status}">
              <td>${s.name}</td>
              <td>${s.status}</td>
              <td>${s.startOffsetMs === null ? '-' : `+${formatDuration(s.startOffsetMs)}`}</td>
              <td>${formatDuration(s.durationMs)}</td>
              <td>${s.compensationAttempts || ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Timeline <span class="muted">(${t.versionsRead} state version(s) read)</span></h2>
    <table data-testid="saga-timeline">
      <thead>
        <tr>
          <th>at</th>
          <th>kind</th>
          <th>what</th>
          <th>timeline</th>
        </tr>
      </thead>
      <tbody>
        ${t.entries.map(
          (e) =>
            html`<tr data-kind="${e.kind}">
              <td class="mono">+${formatDuration(e.offsetMs)}</td>
              <td>${e.kind}</td>
              <td>${e.what}</td>
              <td class="bar-cell">
                <span
                  class="bar ${KIND_CLASS[e.kind] ?? ''}"
                  style="left:${((e.offsetMs / span) * 100).toFixed(2)}%;width:6px"
                ></span>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  return layout(`Saga ${t.sagaId}`, body, { section: '/sagas' });
}
