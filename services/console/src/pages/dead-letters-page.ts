import type { DeadLetterListRow } from '../console-view';
import { html } from '../html-template';
import type { DeadLetterRow, ReplayRow } from '../record-projection';
import { formatTime, shortType } from './display-format';
import { layout } from './layout';

export interface ReplayNotice {
  replayed: number;
  failed: string[];
}

function notice(n: ReplayNotice | undefined) {
  if (!n) return '';
  return html`${n.replayed > 0
    ? html`<p class="notice" data-testid="replay-notice">
        replayed ${n.replayed} record(s) to their original topics
      </p>`
    : ''}
  ${n.failed.map((f) => html`<p class="notice bad">${f}</p>`)}`;
}

export function deadLettersPage(
  rows: readonly DeadLetterListRow[],
  replayNotice?: ReplayNotice,
): string {
  const body = html`<h1>Dead letters</h1>
    ${notice(replayNotice)}
    <form method="post" action="/dead-letters/replay">
      <table data-testid="dead-letters">
        <thead>
          <tr>
            <th></th>
            <th>dead-lettered</th>
            <th>group</th>
            <th>event</th>
            <th>key</th>
            <th>reason</th>
            <th>error</th>
            <th>attempts</th>
            <th>replays</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (d) =>
              html`<tr data-dead-letter-id="${d.id}" data-event-id="${d.eventId}">
                <td>
                  <input type="checkbox" name="id" value="${d.id}" aria-label="select ${d.id}" />
                </td>
                <td class="mono">${formatTime(d.deadAt)}</td>
                <td>${d.group}</td>
                <td>
                  <a href="/dead-letters/${encodeURIComponent(d.id)}">${shortType(d.eventType)}</a>
                  <a class="muted mono" href="/events/${d.eventId}">${d.eventId.slice(0, 8)}</a>
                </td>
                <td class="mono">${d.key ?? '-'}</td>
                <td>${d.reason}</td>
                <td>${d.errorCode}</td>
                <td>${d.attempts}</td>
                <td>${d.replays || ''}</td>
              </tr>`,
          )}
          ${rows.length === 0
            ? html`<tr>
                <td colspan="9" class="muted">no dead-lettered records</td>
              </tr>`
            : ''}
        </tbody>
      </table>
      ${rows.length > 0
        ? html`<p><button type="submit" data-testid="replay-selected">Replay selected</button></p>`
        : ''}
    </form>`;
  return layout('Dead letters', body, { section: '/dead-letters' });
}

export interface DeadLetterDetail {
  record: DeadLetterRow;
  headers: Record<string, string>;
  payload: unknown;
  replays: readonly ReplayRow[];
  replayable: string | null;
}

export function deadLetterPage(d: DeadLetterDetail, replayNotice?: ReplayNotice): string {
  const r = d.record;
  const body = html`<h1>Dead letter <span class="mono muted">${r.id}</span></h1>
    ${notice(replayNotice)}
    <dl class="facts" data-testid="dead-letter">
      <dt>event</dt>
      <dd>
        ${shortType(r.eventType)} <a class="mono" href="/events/${r.eventId}">${r.eventId}</a>
      </dd>
      <dt>group</dt>
      <dd>${r.group}</dd>
      <dt>key</dt>
      <dd class="mono">${r.key ?? '-'}</dd>
      <dt>reason</dt>
      <dd data-testid="reason">${r.reason} · ${r.errorCode} after ${r.attempts} attempt(s)</dd>
      <dt>error</dt>
      <dd>${r.errorMessage}</dd>
      <dt>dead-lettered</dt>
      <dd>${formatTime(r.deadAt)}</dd>
      <dt>first trace</dt>
      <dd class="mono">
        ${r.traceId ? html`<a href="/traces/${r.traceId}">${r.traceId}</a>` : '-'}
      </dd>
      ${r.replayOf
        ? html`<dt>replay of</dt>
            <dd class="mono">
              <a href="/dead-letters/${encodeURIComponent(r.replayOf)}">${r.replayOf}</a>
            </dd>`
        : ''}
    </dl>
    ${d.replayable
      ? html`<form method="post" action="/dead-letters/replay">
          <input type="hidden" name="id" value="${r.id}" />
          <button type="submit" data-testid="replay">Replay to ${d.replayable}</button>
        </form>`
      : html`<p class="muted">not replayable: no original topic header</p>`}
    ${d.replays.length > 0
      ? html`<h2>Replays</h2>
          <ul data-testid="replays">
            ${d.replays.map(
              (x) =>
                html`<li>
                  ${formatTime(x.replayedAt)} →
                  <span class="mono">${x.topic}:${x.partition}@${x.offset}</span>, trace
                  <a class="mono" href="/traces/${x.traceId ?? ''}">${x.traceId ?? '-'}</a>
                </li>`,
            )}
          </ul>`
      : ''}
    <h2>Headers</h2>
    <table>
      <tbody>
        ${Object.keys(d.headers)
          .sort()
          .map(
            (k) =>
              html`<tr>
                <th class="mono">${k}</th>
                <td class="mono">${d.headers[k]}</td>
              </tr>`,
          )}
      </tbody>
    </table>
    <h2>Payload <span class="muted">(decoded, personal data masked)</span></h2>
    <pre data-testid="payload">${JSON.stringify(d.payload, null, 2)}</pre>`;
  return layout(`Dead letter ${r.id}`, body, { section: '/dead-letters' });
}
