import type { ApiState } from '../api-status';
import { html } from '../html-template';
import type { SafeHtml } from '../html-template';
import { formatDuration, formatTime } from './display-format';

/** One API's cell: the state word and what an operator needs next to it. */
export function apiStateCell(api: string, state: ApiState | undefined, applies: boolean): SafeHtml {
  if (!state && !applies) return html`<td data-api="${api}" data-state="none" class="muted">–</td>`;
  const s = state ?? { state: 'pending' as const };
  const detail =
    s.state === 'done'
      ? html`${formatDuration(s.timeToDoneMs)}${s.afterReplay ? ' · after replay' : ''}`
      : s.state === 'retrying'
        ? html`attempt ${s.attempt}${s.nextTryAt ? html`, next try ${formatTime(s.nextTryAt)}` : ''}`
        : s.state === 'dead-lettered'
          ? html`<a href="/dead-letters/${encodeURIComponent(s.deadLetterId)}">${s.reason}</a>`
          : '';
  return html`<td data-api="${api}" data-state="${s.state}">
    <span class="state state-${s.state}">${s.state}</span> <span class="muted">${detail}</span>
  </td>`;
}
