import type { WaterfallRow } from '@fanout/inspection';
import type { ApiState } from '../api-status';
import { html } from '../html-template';
import type { AttemptRow, DeadLetterRow, EventRow, ReplayRow } from '../record-projection';
import { apiStateCell } from './api-state-cell';
import { formatDuration, formatTime, shortType } from './display-format';
import { FAN_OUT_TYPES } from './events-page';
import { layout } from './layout';
import { waterfallView } from './waterfall-view';

export interface EventDetail {
  event: EventRow;
  apis: readonly string[];
  states: Record<string, ApiState>;
  attempts: readonly AttemptRow[];
  deadLetters: readonly DeadLetterRow[];
  replays: readonly ReplayRow[];
  trace: { rows: WaterfallRow[] } | { error: string } | null;
}

export function eventPage(d: EventDetail): string {
  const e = d.event;
  const isOrder = e.eventType.startsWith('fanout.order.');
  const apis = [...new Set([...d.apis, ...Object.keys(d.states)])];
  const body = html`<h1>${shortType(e.eventType)} <span class="muted mono">${e.eventId}</span></h1>
    <dl class="facts">
      <dt>aggregate</dt>
      <dd class="mono">
        ${e.aggregateId ?? '-'}${e.userId && e.userId !== e.aggregateId
          ? html` · user <a href="/events?q=${encodeURIComponent(e.userId)}">${e.userId}</a>`
          : ''}
      </dd>
      <dt>occurred</dt>
      <dd>${formatTime(e.occurredAt)}</dd>
      <dt>topic</dt>
      <dd class="mono">${e.topic}:${e.partition}@${e.offset}</dd>
      <dt>trace</dt>
      <dd class="mono">
        ${e.traceId ? html`<a href="/traces/${e.traceId}">${e.traceId}</a>` : '-'}
      </dd>
      ${isOrder && e.aggregateId
        ? html`<dt>saga</dt>
            <dd>
              <a data-testid="saga-link" href="/sagas/${encodeURIComponent(e.aggregateId)}"
                >order saga ${e.aggregateId}</a
              >
            </dd>`
        : ''}
    </dl>
    <h2>Per API</h2>
    <table data-testid="api-states">
      <thead>
        <tr>
          ${apis.map((a) => html`<th>${a}</th>`)}
        </tr>
      </thead>
      <tbody>
        <tr>
          ${apis.map((a) => apiStateCell(a, d.states[a], FAN_OUT_TYPES.has(e.eventType)))}
        </tr>
      </tbody>
    </table>
    <h2>Attempts (call ledger)</h2>
    <table data-testid="attempts">
      <thead>
        <tr>
          <th>api</th>
          <th>operation</th>
          <th>attempt</th>
          <th>started</th>
          <th>status</th>
          <th>outcome</th>
          <th>latency</th>
          <th>Idempotency-Key</th>
        </tr>
      </thead>
      <tbody>
        ${d.attempts.map(
          (a) =>
            html`<tr data-api="${a.api}" data-outcome="${a.outcome}">
              <td>${a.api}</td>
              <td>${a.operation}</td>
              <td>${a.attempt}</td>
              <td class="mono">${formatTime(a.startedAt)}</td>
              <td>${a.status || 'no answer'}</td>
              <td class="${a.outcome === 'SUCCESS' ? 'ok' : 'bad'}">
                ${a.outcome}${a.errorCode ? html` <span class="muted">${a.errorCode}</span>` : ''}
              </td>
              <td>${formatDuration(a.latencyMs)}</td>
              <td class="mono">${a.idempotencyKey ?? '-'}</td>
            </tr>`,
        )}
        ${d.attempts.length === 0
          ? html`<tr>
              <td colspan="8" class="muted">no attempts recorded</td>
            </tr>`
          : ''}
      </tbody>
    </table>
    ${d.deadLetters.length > 0 || d.replays.length > 0
      ? html`<h2>Dead letters and replays</h2>
          <table data-testid="replays">
            <thead>
              <tr>
                <th>what</th>
                <th>when</th>
                <th>record</th>
                <th>trace</th>
              </tr>
            </thead>
            <tbody>
              ${d.deadLetters.map(
                (x) =>
                  html`<tr data-kind="dead-letter">
                    <td>dead-lettered (${x.api}): ${x.reason} · ${x.errorCode}</td>
                    <td>${formatTime(x.deadAt)}</td>
                    <td class="mono">
                      <a href="/dead-letters/${encodeURIComponent(x.id)}">${x.id}</a>
                    </td>
                    <td class="mono">${x.traceId ?? '-'}</td>
                  </tr>`,
              )}
              ${d.replays.map(
                (r) =>
                  html`<tr
                    data-kind="replay"
                    data-trace-id="${r.traceId ?? ''}"
                    data-original-trace-id="${r.originalTraceId ?? ''}"
                  >
                    <td>
                      replay of
                      <a href="/dead-letters/${encodeURIComponent(r.deadLetterId)}"
                        >${r.deadLetterId}</a
                      >
                    </td>
                    <td>${formatTime(r.replayedAt)}</td>
                    <td class="mono">${r.topic}:${r.partition}@${r.offset}</td>
                    <td class="mono">
                      ${r.traceId
                        ? html`<a data-testid="replay-trace" href="/traces/${r.traceId}"
                            >${r.traceId}</a
                          >`
                        : '-'}${r.traceId && r.traceId === e.traceId
                        ? html` <span class="ok">(the first delivery's trace)</span>`
                        : r.originalTraceId
                          ? html` linked to
                              <a href="/traces/${r.originalTraceId}">${r.originalTraceId}</a>`
                          : ''}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
      : ''}
    <h2>Trace</h2>
    ${d.trace === null
      ? html`<p class="muted">no trace id on this event</p>`
      : 'error' in d.trace
        ? html`<p class="notice bad">${d.trace.error}</p>`
        : waterfallView(e.traceId ?? '', d.trace.rows)}
    <h2>Payload <span class="muted">(personal data masked)</span></h2>
    <pre data-testid="payload">${JSON.stringify(JSON.parse(e.payload), null, 2)}</pre>`;
  return layout(shortType(e.eventType), body, { section: '/events' });
}

export function tracePage(
  traceId: string,
  trace: { rows: WaterfallRow[] } | { error: string },
): string {
  const body = html`<h1>Trace <span class="mono muted">${traceId}</span></h1>
    <p><a href="/events?q=${traceId}">events of this trace</a></p>
    ${'error' in trace
      ? html`<p class="notice bad">${trace.error}</p>`
      : waterfallView(traceId, trace.rows)}`;
  return layout(`Trace ${traceId}`, body, { section: '/events' });
}
