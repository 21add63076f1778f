import { defineSaga, parallel, step } from '@fanout/saga';
import type { FailureReason, SagaDefinition } from '@fanout/saga';
import { EventTypes } from '../event-types';

/**
 * The order saga, as the business reads it: reserve the stock and authorize the payment at the
 * same time, then book the shipment, then confirm the order. If any step fails, the steps that
 * succeeded are undone in reverse order and the order is cancelled with the reason.
 */

export interface OrderPlaced {
  metadata: { eventId: string; correlationId: string };
  orderId: string;
  customerId: string;
  items: { sku: string; quantity: number; unitPriceMinor: number }[];
  currency: string;
  totalMinor: number;
  shippingAddress: Record<string, unknown>;
}

export interface OrderSagaContext {
  orderId: string;
  customerId: string;
  correlationId: string;
  items: { sku: string; quantity: number }[];
  currency: string;
  totalMinor: number;
  shippingAddress: Record<string, unknown>;
  reservationId?: string;
  authorizationId?: string;
  shipmentId?: string;
}

export interface OrderSagaTimeouts {
  /** Per step: how long a participant may take, retries included, before the step fails. */
  reserveInventoryMs: number;
  authorizePaymentMs: number;
  createShipmentMs: number;
  /** The whole saga. */
  sagaMs: number;
  /** Wait for a compensation's acknowledgement before sending it again. */
  compensationMs: number;
}

export const DEFAULT_ORDER_SAGA_TIMEOUTS: OrderSagaTimeouts = {
  reserveInventoryMs: 30_000,
  authorizePaymentMs: 30_000,
  createShipmentMs: 30_000,
  sagaMs: 120_000,
  compensationMs: 10_000,
};

const reserveInventory = (timeoutMs: number) =>
  step<OrderSagaContext>({
    name: 'reserve-inventory',
    action: {
      eventType: EventTypes.ReserveInventory,
      build: (order) => ({ orderId: order.orderId, items: order.items }),
    },
    compensation: {
      eventType: EventTypes.ReleaseInventory,
      build: (order) => ({ orderId: order.orderId, reservationId: order.reservationId ?? null }),
    },
    succeededOn: [EventTypes.InventoryReserved],
    failedOn: [EventTypes.InventoryReservationFailed],
    compensatedOn: [EventTypes.InventoryReleased],
    timeoutMs,
    collect: (order, reply) => ({ ...order, reservationId: String(reply.reservationId) }),
    reason: (reply) => failureOf(reply, 'reserve-inventory'),
  });

const authorizePayment = (timeoutMs: number) =>
  step<OrderSagaContext>({
    name: 'authorize-payment',
    action: {
      eventType: EventTypes.AuthorizePayment,
      build: (order) => ({
        orderId: order.orderId,
        customerId: order.customerId,
        currency: order.currency,
        amountMinor: order.totalMinor,
      }),
    },
    compensation: {
      eventType: EventTypes.VoidPayment,
      build: (order) => ({
        orderId: order.orderId,
        authorizationId: order.authorizationId ?? null,
      }),
    },
    succeededOn: [EventTypes.PaymentAuthorized],
    failedOn: [EventTypes.PaymentDeclined],
    compensatedOn: [EventTypes.PaymentVoided],
    timeoutMs,
    collect: (order, reply) => ({ ...order, authorizationId: String(reply.authorizationId) }),
    reason: (reply) => failureOf(reply, 'authorize-payment'),
  });

const createShipment = (timeoutMs: number) =>
  step<OrderSagaContext>({
    name: 'create-shipment',
    action: {
      eventType: EventTypes.CreateShipment,
      build: (order) => ({
        orderId: order.orderId,
        items: order.items,
        shippingAddress: order.shippingAddress,
      }),
    },
    // Only a timed-out shipment is ever cancelled: it is the last step, so when it succeeds
    // there is nothing left to fail.
    compensation: {
      eventType: EventTypes.CancelShipment,
      build: (order) => ({ orderId: order.orderId, shipmentId: order.shipmentId ?? null }),
    },
    succeededOn: [EventTypes.ShipmentCreated],
    failedOn: [EventTypes.ShipmentFailed],
    compensatedOn: [EventTypes.ShipmentCancelled],
    timeoutMs,
    collect: (order, reply) => ({ ...order, shipmentId: String(reply.shipmentId) }),
    reason: (reply) => failureOf(reply, 'create-shipment'),
  });

export function createOrderSaga(
  timeouts: OrderSagaTimeouts = DEFAULT_ORDER_SAGA_TIMEOUTS,
): SagaDefinition<OrderPlaced, OrderSagaContext> {
  return defineSaga<OrderPlaced, OrderSagaContext>({
    name: 'order',
    startsOn: EventTypes.OrderPlaced,
    sagaId: (order) => order.orderId,
    initialContext: (order) => ({
      orderId: order.orderId,
      customerId: order.customerId,
      correlationId: order.metadata.correlationId,
      items: order.items.map(({ sku, quantity }) => ({ sku, quantity })),
      currency: order.currency,
      totalMinor: order.totalMinor,
      shippingAddress: order.shippingAddress,
    }),
    // order-service refuses these; one that arrives anyway is cancelled before any step runs.
    precheck: (order) =>
      order.items.length === 0
        ? { code: 'INVALID_ORDER', message: 'the order has no items' }
        : undefined,

    flow: [
      parallel(
        reserveInventory(timeouts.reserveInventoryMs),
        authorizePayment(timeouts.authorizePaymentMs),
      ),
      createShipment(timeouts.createShipmentMs),
    ],

    completed: {
      eventType: EventTypes.OrderConfirmed,
      build: (order) => ({
        orderId: order.orderId,
        customerId: order.customerId,
        currency: order.currency,
        totalMinor: order.totalMinor,
        paymentAuthorizationId: order.authorizationId ?? null,
        shipmentId: order.shipmentId ?? null,
      }),
    },
    cancelled: {
      eventType: EventTypes.OrderCancelled,
      build: (order, _sagaId, reason, compensatedSteps) => ({
        orderId: order.orderId,
        customerId: order.customerId,
        reason: {
          code: cancellationCode(reason.code),
          message: reason.message,
          failedStep: reason.step ?? null,
        },
        compensatedSteps: [...compensatedSteps],
      }),
    },
    timeoutMs: timeouts.sagaMs,
    compensationTimeoutMs: timeouts.compensationMs,
  });
}

/** A participant's failure reply → the reason the order is cancelled with. */
function failureOf(reply: Record<string, unknown>, stepName: string): FailureReason {
  const failure = (reply.failure ?? {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof failure.code === 'string' ? failure.code : 'UNKNOWN',
    message: typeof failure.message === 'string' ? failure.message : `${stepName} failed`,
    step: stepName,
  };
}

/** Step failure codes → OrderCancelled's CancellationReasonCode symbols (schemas/order). */
export function cancellationCode(code: string): string {
  switch (code) {
    case 'OUT_OF_STOCK':
    case 'PAYMENT_DECLINED':
    case 'SHIPPING_UNAVAILABLE':
    case 'STEP_TIMED_OUT':
    case 'INVALID_ORDER':
      return code;
    case 'SAGA_TIMED_OUT':
      return 'STEP_TIMED_OUT';
    case 'API_ERROR':
    case 'INVALID_REQUEST':
      return 'DOWNSTREAM_ERROR';
    default:
      return 'UNKNOWN';
  }
}
