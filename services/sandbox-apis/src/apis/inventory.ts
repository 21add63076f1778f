import type { ApiResult, ApiScope } from '../api-scope';
import { nowIso, resourceId } from '../resource-id';
import { BoundedMap } from '@fanout/service-kit';
import { registerOrderScopedRoutes } from './order-scoped-resources';

interface Reservation {
  id: string;
  object: 'reservation';
  order_id: string;
  status: 'reserved' | 'released';
  items: Array<{ sku: string; quantity: number }>;
  created_at: string;
  released_at: string | null;
}

/** Stock per sku; a sku never set is unlimited, so benchmarks need no setup. */
export class StockLevels {
  private readonly levels = new Map<string, number>();

  set(sku: string, quantity: number): void {
    this.levels.set(sku, quantity);
  }

  available(sku: string): number {
    return this.levels.get(sku) ?? Infinity;
  }

  adjust(sku: string, delta: number): void {
    const current = this.levels.get(sku);
    if (current !== undefined) this.levels.set(sku, current + delta);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.levels);
  }

  clear(): void {
    this.levels.clear();
  }
}

/**
 * An inventory API: reservations take stock all-or-nothing (409 `out_of_stock` naming the sku
 * otherwise); a release returns it. Releases are compensations, so they are idempotent and safe
 * for a reservation that never happened: 200 with `noop: true` and the reason, never a 404.
 */
export function registerInventory(scope: ApiScope, stock: StockLevels): { reset(): void } {
  const reservations = new BoundedMap<string, Reservation>();
  const byOrder = new BoundedMap<string, string[]>();

  const release = (reservation: Reservation): ApiResult['effects'] => {
    if (reservation.status === 'released') return [];
    reservation.status = 'released';
    reservation.released_at = nowIso();
    for (const item of reservation.items) stock.adjust(item.sku, item.quantity);
    return [
      {
        operation: 'release_reservation',
        subject: reservation.order_id,
        resourceId: reservation.id,
      },
    ];
  };

  scope.write(
    'POST',
    '/v1/reservations',
    {
      body: {
        type: 'object',
        required: ['order_id', 'items'],
        additionalProperties: false,
        properties: {
          order_id: { type: 'string', minLength: 1, maxLength: 200 },
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 100,
            items: {
              type: 'object',
              required: ['sku', 'quantity'],
              additionalProperties: false,
              properties: {
                sku: { type: 'string', minLength: 1, maxLength: 100 },
                quantity: { type: 'integer', minimum: 1 },
              },
            },
          },
        },
      },
    },
    (request) => {
      const body = request.body as Reservation;
      const wanted = new Map<string, number>();
      for (const item of body.items)
        wanted.set(item.sku, (wanted.get(item.sku) ?? 0) + item.quantity);
      for (const [sku, quantity] of wanted) {
        const available = stock.available(sku);
        if (available < quantity) {
          // A business answer, stored under the key like any other: retrying it replays it.
          return {
            status: 409,
            body: {
              error: {
                type: 'out_of_stock',
                message: `not enough stock for ${sku}`,
                sku,
                requested: quantity,
                available,
              },
            },
          };
        }
      }
      for (const [sku, quantity] of wanted) stock.adjust(sku, -quantity);
      const reservation: Reservation = {
        id: resourceId('res'),
        object: 'reservation',
        order_id: body.order_id,
        status: 'reserved',
        items: body.items,
        created_at: nowIso(),
        released_at: null,
      };
      reservations.set(reservation.id, reservation);
      byOrder.set(body.order_id, [...(byOrder.get(body.order_id) ?? []), reservation.id]);
      return {
        status: 201,
        body: reservation,
        effects: [{ operation: 'reserve', subject: body.order_id, resourceId: reservation.id }],
      };
    },
  );

  scope.write('POST', '/v1/reservations/:id/release', {}, (request) => {
    const id = request.params.id!;
    const reservation = reservations.get(id);
    if (!reservation) {
      return {
        status: 200,
        body: { id, object: 'reservation', status: 'not_found', noop: true, reason: 'not_found' },
      };
    }
    const effects = release(reservation);
    return {
      status: 200,
      body: {
        ...reservation,
        noop: effects!.length === 0,
        ...(effects!.length === 0 ? { reason: 'already_released' } : {}),
      },
      effects,
    };
  });

  registerOrderScopedRoutes(scope, {
    collection: 'reservations',
    noun: 'reservation',
    resources: reservations,
    byOrder,
    undo: { verb: 'release', field: 'released', apply: release },
  });

  scope.read('/v1/stock/:sku', {}, (request) => {
    const available = stock.available(request.params.sku!);
    return {
      status: 200,
      body: {
        sku: request.params.sku,
        available: Number.isFinite(available) ? available : null,
        unlimited: !Number.isFinite(available),
      },
    };
  });

  return {
    reset: () => {
      reservations.clear();
      byOrder.clear();
    },
  };
}
