import { timeOrderedUuid } from '@fanout/contracts';
import { ProblemError } from '@fanout/service-kit';
import type { FieldError, GroupCommit, IdempotencyHandle, SqliteOutbox } from '@fanout/service-kit';
import { toMinorUnits } from './currencies';
import type { CustomerCheck } from './customer-check';
import type { Order, PlaceOrderRequest } from './order';
import { orderPlacedEvent } from './order-placed';
import type { OrderRepository } from './order-repository';
import { orderView } from './order-view';

export interface PlaceOrderDeps {
  /** The domain runtime's group commit: the request is answered after its transaction commits. */
  groupCommit: GroupCommit;
  orders: OrderRepository;
  outbox: SqliteOutbox;
  topic: string;
  /** Whether the customer is a registered user (the customers view, or no check). */
  customers: CustomerCheck;
}

/** Checks what JSON Schema cannot: prices fit the currency's minor unit, the total is exact. */
function priceLines(request: PlaceOrderRequest): { lines: Order['items']; totalMinor: number } {
  const errors: FieldError[] = [];
  const lines = request.items.map((item, index) => {
    const unitPriceMinor = toMinorUnits(item.unitPrice, request.currency);
    if (unitPriceMinor === undefined || unitPriceMinor <= 0) {
      errors.push({
        field: `items[${index}].unitPrice`,
        message: `must be a positive amount with at most the decimals ${request.currency} allows`,
      });
    }
    return { sku: item.sku, quantity: item.quantity, unitPriceMinor: unitPriceMinor ?? 0 };
  });
  const totalMinor = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0);
  if (errors.length === 0 && !Number.isSafeInteger(totalMinor)) {
    errors.push({ field: 'items', message: 'the order total is too large' });
  }
  if (errors.length > 0)
    throw new ProblemError(400, 'validation-failed', 'The request is not valid.', { errors });
  return { lines, totalMinor };
}

/**
 * Places an order for a registered customer (a 422 naming `customerId` otherwise): the order
 * row (PENDING), its OrderPlaced outbox row and the idempotent response commit in one
 * transaction (a savepoint of the group commit, answered only after it commits). The saga takes
 * it from there.
 */
export async function placeOrder(
  deps: PlaceOrderDeps,
  request: PlaceOrderRequest,
  idempotency: IdempotencyHandle | undefined,
): Promise<Order> {
  const { lines, totalMinor } = priceLines(request);
  await deps.customers.requireKnown(request.customerId);
  const now = new Date().toISOString();
  const address = request.shippingAddress;
  const order: Order = {
    // Time-ordered: the id is the primary key of its table (see timeOrderedUuid).
    id: timeOrderedUuid(),
    customerId: request.customerId,
    status: 'PENDING',
    items: lines,
    currency: request.currency,
    totalMinor,
    shippingAddress: {
      recipientName: address.recipientName.trim(),
      line1: address.line1.trim(),
      line2: address.line2?.trim() || null,
      city: address.city.trim(),
      postalCode: address.postalCode.trim(),
      region: address.region?.trim() || null,
      country: address.country,
    },
    cancellationReason: null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.groupCommit.run(() => {
    deps.orders.insert(order);
    deps.outbox.append(orderPlacedEvent(order, deps.topic));
    idempotency?.complete(202, orderView(order));
  });
  return order;
}
