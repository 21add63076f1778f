import type { WaterfallRow } from '@fanout/inspection';
import { html } from '../html-template';
import type { SafeHtml } from '../html-template';
import { formatDuration } from './display-format';

/** A trace as an HTML waterfall: the rows of `waterfallRows` (the data of `fanout trace`). */
export function waterfallView(traceId: string, rows: readonly WaterfallRow[]): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">trace ${traceId}: no spans</p>`;
  const total = Math.max(...rows.map((r) => r.offsetMs + r.durationMs), 0.001);
  const services = new Set(rows.map((r) => r.service));
  return html`<p class="muted" data-testid="trace-summary">
      trace <code>${traceId}</code> · ${rows.length} spans · ${services.size} services ·
      ${formatDuration(total)}
    </p>
    <table data-testid="waterfall" data-trace-id="${traceId}">
      <thead>
        <tr>
          <th>service</th>
          <th>operation</th>
          <th>timeline</th>
          <th>start</th>
          <th>duration</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr data-service="${r.service}" class="${r.error ? 'bad' : ''}">
              <td>${r.service}</td>
              <td style="padding-left:${8 + r.depth * 14}px">
                ${r.linked ? '↪ ' : ''}${r.operation}${r.error ? ' ✘' : ''}
              </td>
              <td class="bar-cell">
                <span
                  class="bar${r.error ? ' error' : ''}"
                  style="left:${((r.offsetMs / total) * 100).toFixed(2)}%;width:${Math.max(
                    0.3,
                    (r.durationMs / total) * 100,
                  ).toFixed(2)}%"
                ></span>
              </td>
              <td class="mono">${formatDuration(r.offsetMs)}</td>
              <td class="mono">${formatDuration(r.durationMs)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
