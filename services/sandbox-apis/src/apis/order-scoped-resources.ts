import type { ApiResult, ApiScope } from '../api-scope';
import { HttpError } from '../http-error';

export const orderIdParam = {
  type: 'object',
  properties: { orderId: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export interface OrderScopedResources<R> {
  /** The collection's path segment and the noun its 404 uses, e.g. `reservations`, `reservation`. */
  collection: string;
  noun: string;
  resources: Map<string, R>;
  /** Resource ids per order id. */
  byOrder: Map<string, string[]>;
  /** The order-wide compensation: its URL verb, the body field listing what changed, and the undo. */
  undo: { verb: string; field: string; apply(resource: R): ApiResult['effects'] };
}

/**
 * The routes every stateful API of the sandbox shares for its order-scoped resources:
 * `POST /v1/orders/:orderId/<verb>` undoes every resource of the order (a compensation: 200 with
 * `noop: true` when nothing changed, never a 404), `GET /v1/<collection>/:id` and
 * `GET /v1/<collection>?order_id=`.
 */
export function registerOrderScopedRoutes<R>(scope: ApiScope, spec: OrderScopedResources<R>): void {
  const { collection, noun, resources, byOrder, undo } = spec;

  scope.write('POST', `/v1/orders/:orderId/${undo.verb}`, { params: orderIdParam }, (request) => {
    const orderId = request.params.orderId!;
    const changed: string[] = [];
    const effects: NonNullable<ApiResult['effects']> = [];
    for (const id of byOrder.get(orderId) ?? []) {
      const resource = resources.get(id);
      if (!resource) continue; // forgotten by the memory bound
      const done = undo.apply(resource) ?? [];
      if (done.length > 0) changed.push(id);
      effects.push(...done);
    }
    return {
      status: 200,
      body: { order_id: orderId, [undo.field]: changed, noop: changed.length === 0 },
      effects,
    };
  });

  scope.read(`/v1/${collection}/:id`, {}, (request) => {
    const resource = resources.get(request.params.id!);
    if (!resource) throw new HttpError(404, 'not_found', `no such ${noun}`);
    return { status: 200, body: resource };
  });

  scope.read(
    `/v1/${collection}`,
    {
      querystring: {
        type: 'object',
        required: ['order_id'],
        properties: { order_id: { type: 'string' } },
      },
    },
    (request) => {
      const ids = byOrder.get(request.query.order_id!) ?? [];
      return {
        status: 200,
        body: { object: 'list', data: ids.flatMap((id) => resources.get(id) ?? []) },
      };
    },
  );
}
