import { html } from '../html-template';
import type { HealthSnapshot } from '../health-probe';
import { formatTime } from './display-format';
import { layout } from './layout';

export interface HealthView {
  snapshot: HealthSnapshot;
  failures: Array<{ group: string; deadLetters: number; retries: number }>;
  feed: { topics: number; recordsRead: number; lastBatchAt: number | null };
}

export function healthPage(h: HealthView): string {
  const groups = new Map<string, number>();
  for (const row of h.snapshot.lag) groups.set(row.group, (groups.get(row.group) ?? 0) + row.lag);
  const body = html`<h1>
      Health <span class="muted">(live, every 5 s · ${formatTime(h.snapshot.at)})</span>
    </h1>
    ${h.snapshot.error ? html`<p class="notice bad">lag unavailable: ${h.snapshot.error}</p>` : ''}
    <h2>Breakers</h2>
    <table data-testid="breakers">
      <thead>
        <tr>
          <th>api</th>
          <th>state</th>
          <th>consumer</th>
        </tr>
      </thead>
      <tbody>
        ${h.snapshot.breakers.map(
          (b) =>
            html`<tr data-api="${b.api}" data-state="${b.state}">
              <td>${b.api}</td>
              <td>
                <span
                  class="state state-${b.state === 'closed'
                    ? 'done'
                    : b.state === 'open'
                      ? 'dead-lettered'
                      : b.state === 'half_open'
                        ? 'retrying'
                        : 'pending'}"
                  >${b.state}</span
                >
              </td>
              <td class="mono">${b.url}/metrics</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Retries and dead letters</h2>
    <table data-testid="failures">
      <thead>
        <tr>
          <th>group</th>
          <th>retry records</th>
          <th>dead letters</th>
        </tr>
      </thead>
      <tbody>
        ${h.failures.map(
          (f) =>
            html`<tr data-group="${f.group}">
              <td>${f.group}</td>
              <td>${f.retries}</td>
              <td>${f.deadLetters ? html`<a href="/dead-letters">${f.deadLetters}</a>` : 0}</td>
            </tr>`,
        )}
        ${h.failures.length === 0
          ? html`<tr>
              <td colspan="3" class="muted">none</td>
            </tr>`
          : ''}
      </tbody>
    </table>
    <h2>Lag per group</h2>
    <table data-testid="lag-groups">
      <thead>
        <tr>
          <th>group</th>
          <th>total lag</th>
        </tr>
      </thead>
      <tbody>
        ${[...groups].map(
          ([g, lag]) =>
            html`<tr data-group="${g}">
              <td>${g}</td>
              <td class="${lag > 0 ? 'bad' : 'ok'}">${lag}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Lag per partition</h2>
    <p class="muted">
      Lag is the end offset minus the committed one. On topics written in transactions (the outbox,
      the saga) the end includes the commit marker, so a caught-up group can show 1.
    </p>
    <table data-testid="lag">
      <thead>
        <tr>
          <th>group</th>
          <th>topic</th>
          <th>partition</th>
          <th>committed</th>
          <th>end</th>
          <th>lag</th>
        </tr>
      </thead>
      <tbody>
        ${h.snapshot.lag.map(
          (l) =>
            html`<tr>
              <td>${l.group}</td>
              <td class="mono">${l.topic}</td>
              <td>${l.partition}</td>
              <td>${l.committed ?? '-'}</td>
              <td>${l.end}</td>
              <td class="${l.lag > 0 ? 'bad' : ''}">${l.lag}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="muted">
      console view: ${h.feed.recordsRead} records read from ${h.feed.topics} topics, last batch
      ${formatTime(h.feed.lastBatchAt)}
    </p>`;
  return layout('Health', body, { section: '/health', refreshSeconds: 5 });
}
