import type { ApiResult, ApiScope } from '../api-scope';
import { nowIso, resourceId } from '../resource-id';
import { BoundedMap } from '@fanout/service-kit';
import { registerOrderScopedRoutes } from './order-scoped-resources';

interface Shipment {
  id: string;
  object: 'shipment';
  order_id: string;
  status: 'created' | 'cancelled';
  service: 'standard' | 'express';
  carrier: string;
  tracking_number: string;
  address: Record<string, unknown>;
  items: Array<{ sku: string; quantity: number }>;
  created_at: string;
  cancelled_at: string | null;
}

/**
 * A shipping API in the spirit of Shippo/EasyPost: shipments get a carrier and a tracking
 * number; a cancel voids the label. Cancels are compensations: idempotent, and a cancel of an
 * unknown shipment answers 200 with `noop: true` and the reason.
 */
export function registerShipping(scope: ApiScope): { reset(): void } {
  const shipments = new BoundedMap<string, Shipment>();
  const byOrder = new BoundedMap<string, string[]>();

  const cancel = (shipment: Shipment): NonNullable<ApiResult['effects']> => {
    if (shipment.status === 'cancelled') return [];
    shipment.status = 'cancelled';
    shipment.cancelled_at = nowIso();
    return [{ operation: 'cancel_shipment', subject: shipment.order_id, resourceId: shipment.id }];
  };

  scope.write(
    'POST',
    '/v1/shipments',
    {
      body: {
        type: 'object',
        required: ['order_id', 'address'],
        additionalProperties: false,
        properties: {
          order_id: { type: 'string', minLength: 1, maxLength: 200 },
          service: { type: 'string', enum: ['standard', 'express'] },
          address: {
            type: 'object',
            required: ['line1', 'city', 'postal_code', 'country'],
            properties: {
              name: { type: 'string', maxLength: 200 },
              line1: { type: 'string', minLength: 1, maxLength: 200 },
              line2: { type: 'string', maxLength: 200 },
              city: { type: 'string', minLength: 1, maxLength: 100 },
              postal_code: { type: 'string', minLength: 1, maxLength: 20 },
              country: { type: 'string', pattern: '^[A-Z]{2}$' },
            },
          },
          items: {
            type: 'array',
            maxItems: 100,
            items: {
              type: 'object',
              required: ['sku', 'quantity'],
              properties: {
                sku: { type: 'string', minLength: 1 },
                quantity: { type: 'integer', minimum: 1 },
              },
            },
          },
        },
      },
    },
    (request) => {
      const body = request.body as Pick<Shipment, 'order_id' | 'address'> &
        Partial<Pick<Shipment, 'service' | 'items'>>;
      const shipment: Shipment = {
        id: resourceId('shp'),
        object: 'shipment',
        order_id: body.order_id,
        status: 'created',
        service: body.service ?? 'standard',
        carrier: 'sandbox-post',
        tracking_number: `SP${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1e6)}`,
        address: body.address,
        items: body.items ?? [],
        created_at: nowIso(),
        cancelled_at: null,
      };
      shipments.set(shipment.id, shipment);
      byOrder.set(shipment.order_id, [...(byOrder.get(shipment.order_id) ?? []), shipment.id]);
      return {
        status: 201,
        body: shipment,
        effects: [
          { operation: 'create_shipment', subject: shipment.order_id, resourceId: shipment.id },
        ],
      };
    },
  );

  scope.write('POST', '/v1/shipments/:id/cancel', {}, (request) => {
    const id = request.params.id!;
    const shipment = shipments.get(id);
    if (!shipment) {
      return {
        status: 200,
        body: { id, object: 'shipment', status: 'not_found', noop: true, reason: 'not_found' },
      };
    }
    const effects = cancel(shipment);
    return {
      status: 200,
      body: {
        ...shipment,
        noop: effects.length === 0,
        ...(effects.length === 0 ? { reason: 'already_cancelled' } : {}),
      },
      effects,
    };
  });

  registerOrderScopedRoutes(scope, {
    collection: 'shipments',
    noun: 'shipment',
    resources: shipments,
    byOrder,
    undo: { verb: 'cancel', field: 'cancelled', apply: cancel },
  });

  return {
    reset: () => {
      shipments.clear();
      byOrder.clear();
    },
  };
}
