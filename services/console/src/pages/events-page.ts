import type { EventSummary } from '../console-view';
import { html } from '../html-template';
import { apiStateCell } from './api-state-cell';
import { formatTime, shortType } from './display-format';
import { layout } from './layout';

/** Event types the fan-out consumers handle: the API columns apply to these. */
export const FAN_OUT_TYPES = new Set([
  'fanout.user.UserRegistered',
  'fanout.order.OrderConfirmed',
  'fanout.order.OrderCancelled',
]);

export function eventsPage(
  events: readonly EventSummary[],
  apis: readonly string[],
  q: string,
): string {
  const oldest = events[events.length - 1];
  const body = html`<h1>Events</h1>
    <form class="search" method="get" action="/events">
      <input
        name="q"
        value="${q}"
        placeholder="user id, order id, event id or trace id"
        aria-label="search"
      />
      <button type="submit">Search</button>${q ? html` <a href="/events">clear</a>` : ''}
    </form>
    <table data-testid="events">
      <thead>
        <tr>
          <th>occurred</th>
          <th>event</th>
          <th>aggregate</th>
          ${apis.map((a) => html`<th>${a}</th>`)}
          <th>trace</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (e) =>
            html`<tr data-event-id="${e.eventId}" data-aggregate-id="${e.aggregateId ?? ''}">
              <td class="mono">${formatTime(e.occurredAt)}</td>
              <td><a href="/events/${e.eventId}">${shortType(e.eventType)}</a></td>
              <td class="mono">${e.aggregateId ?? '-'}</td>
              ${apis.map((api) => apiStateCell(api, e.apis[api], FAN_OUT_TYPES.has(e.eventType)))}
              <td class="mono">
                ${e.traceId
                  ? html`<a href="/traces/${e.traceId}">${e.traceId.slice(0, 12)}…</a>`
                  : '-'}
              </td>
            </tr>`,
        )}
        ${events.length === 0
          ? html`<tr>
              <td colspan="${apis.length + 4}" class="muted">
                no events${q ? ` for "${q}"` : ' yet'}
              </td>
            </tr>`
          : ''}
      </tbody>
    </table>
    ${oldest && events.length >= 50
      ? html`<p>
          <a
            href="/events?${new URLSearchParams({
              ...(q ? { q } : {}),
              before: String(oldest.occurredAt),
            }).toString()}"
            >older →</a
          >
        </p>`
      : ''}`;
  return layout('Events', body, { section: '/events' });
}
