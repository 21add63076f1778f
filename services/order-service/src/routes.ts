import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@fanout/service-kit';
import { orderIdParams, placeOrderBody } from './http-schemas';
import type { PlaceOrderRequest } from './order';
import type { OrderRepository } from './order-repository';
import { orderView } from './order-view';
import { placeOrder } from './place-order';
import type { PlaceOrderDeps } from './place-order';

export function orderRoutes(
  app: FastifyInstance,
  deps: PlaceOrderDeps & { orders: OrderRepository },
): void {
  // 202: the order is stored and PENDING; the saga decides CONFIRMED or CANCELLED later.
  app.post('/orders', { schema: { body: placeOrderBody } }, async (request, reply) => {
    const order = await placeOrder(deps, request.body as PlaceOrderRequest, request.idempotency);
    return reply.code(202).header('location', `/orders/${order.id}`).send(orderView(order));
  });

  app.get('/orders/:id', { schema: { params: orderIdParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const order = deps.orders.findById(id);
    if (order === undefined)
      throw new ProblemError(404, 'order-not-found', `No order with id ${id}.`);
    return orderView(order);
  });
}
