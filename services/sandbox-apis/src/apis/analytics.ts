import type { ApiScope } from '../api-scope';
import { HttpError } from '../http-error';
import { nowIso, resourceId } from '../resource-id';
import { runItems } from './bulk-items';

interface TrackInput {
  event?: unknown;
  user_id?: unknown;
  anonymous_id?: unknown;
  properties?: unknown;
  timestamp?: unknown;
  idempotency_key?: string;
}

interface TrackedEvent {
  id: string;
  event: string;
  user_id: string | null;
  anonymous_id: string | null;
  properties: Record<string, unknown>;
  timestamp: string;
  received_at: string;
}

const MAX_BATCH = 500;

/** Why a track call is invalid, or undefined. Checked per item, so one bad item fails alone. */
function invalidReason(input: TrackInput): string | undefined {
  if (typeof input.event !== 'string' || input.event.length === 0 || input.event.length > 200) {
    return 'event must be a non-empty string of at most 200 characters';
  }
  const hasUser = typeof input.user_id === 'string' && input.user_id.length > 0;
  const hasAnon = typeof input.anonymous_id === 'string' && input.anonymous_id.length > 0;
  if (!hasUser && !hasAnon) return 'user_id or anonymous_id is required';
  if (
    input.properties !== undefined &&
    (typeof input.properties !== 'object' ||
      input.properties === null ||
      Array.isArray(input.properties))
  ) {
    return 'properties must be an object';
  }
  if (
    input.timestamp !== undefined &&
    (typeof input.timestamp !== 'string' || Number.isNaN(Date.parse(input.timestamp)))
  ) {
    return 'timestamp must be an ISO 8601 date';
  }
  return undefined;
}

/**
 * An analytics API in the spirit of Segment: `track` for one event, `batch` for up to 500
 * with a result per item (an invalid item fails alone).
 */
export function registerAnalytics(scope: ApiScope): { reset(): void } {
  let events: TrackedEvent[] = [];

  const track = (input: TrackInput): TrackedEvent => {
    const event: TrackedEvent = {
      id: resourceId('evt'),
      event: input.event as string,
      user_id: (input.user_id as string | undefined) ?? null,
      anonymous_id: (input.anonymous_id as string | undefined) ?? null,
      properties: (input.properties as Record<string, unknown> | undefined) ?? {},
      timestamp: (input.timestamp as string | undefined) ?? nowIso(),
      received_at: nowIso(),
    };
    events.push(event);
    if (events.length > 200_000) events = events.slice(-100_000);
    return event;
  };
  const subject = (e: TrackedEvent) => `${e.event}:${e.user_id ?? e.anonymous_id}:${e.timestamp}`;

  scope.write('POST', '/v1/track', { body: { type: 'object' } }, (request) => {
    const input = request.body as TrackInput;
    const reason = invalidReason(input);
    if (reason) throw new HttpError(400, 'invalid_request', reason);
    const event = track(input);
    return {
      status: 202,
      body: { id: event.id, status: 'accepted' },
      effects: [{ operation: 'track', subject: subject(event), resourceId: event.id }],
    };
  });

  scope.write(
    'POST',
    '/v1/batch',
    {
      body: {
        type: 'object',
        required: ['batch'],
        additionalProperties: false,
        properties: {
          batch: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: { type: 'object' } },
        },
      },
    },
    (request) => {
      const items = (request.body as { batch: TrackInput[] }).batch;
      const { results, effects } = runItems(scope, request, items, (item) => {
        const reason = invalidReason(item);
        if (reason) {
          return { result: { status: 400, error: { type: 'invalid_request', message: reason } } };
        }
        const event = track(item);
        return {
          result: { status: 202, id: event.id },
          effect: { operation: 'track', subject: subject(event), resourceId: event.id },
        };
      });
      const failed = results.filter((r) => r.status >= 300).length;
      return {
        status: 200,
        body: { accepted: results.length - failed, failed, results },
        effects,
      };
    },
  );

  scope.read(
    '/v1/events',
    { querystring: { type: 'object', properties: { user_id: { type: 'string' } } } },
    (request) => {
      const data = events.filter(
        (e) => !request.query.user_id || e.user_id === request.query.user_id,
      );
      return { status: 200, body: { object: 'list', data: data.slice(-100) } };
    },
  );

  return { reset: () => (events = []) };
}
