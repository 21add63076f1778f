import { defaultCatalog } from '@fanout/contracts';
import { createDomainRuntime } from '@fanout/service-kit';
import type { DomainRuntime } from '@fanout/service-kit';
import type { Logger, Telemetry } from '@fanout/telemetry';
import type { OrderServiceConfig } from './config';
import { OrderOutcomeConsumer } from './order-outcome-consumer';
import { OrderRepository } from './order-repository';
import { orderRoutes } from './routes';

export interface OrderService extends DomainRuntime {
  consumer: OrderOutcomeConsumer;
}

/** Wires order-service: its table, routes and outcome consumer on the shared domain runtime. */
export async function createOrderService(
  config: OrderServiceConfig,
  logger: Logger,
  telemetry?: Telemetry,
): Promise<OrderService> {
  const catalogTopic = defaultCatalog().topics.find((t) => t.name === 'fanout.order.events');
  const runtime = await createDomainRuntime({
    name: 'order-service',
    config,
    logger,
    telemetry,
    topics: [
      {
        name: config.ORDER_EVENTS_TOPIC,
        partitions: catalogTopic?.partitions ?? 6,
        config: catalogTopic?.config ?? {},
      },
    ],
  });
  const orders = new OrderRepository(runtime.db);
  orderRoutes(runtime.app, {
    groupCommit: runtime.groupCommit,
    orders,
    outbox: runtime.outbox,
    topic: config.ORDER_EVENTS_TOPIC,
  });

  const consumer = new OrderOutcomeConsumer({
    kafka: runtime.kafka,
    codec: runtime.codec,
    orders,
    topic: config.ORDER_EVENTS_TOPIC,
    groupId: config.ORDER_CONSUMER_GROUP,
    dataDir: config.DATA_DIR,
    logger: logger.child({ component: 'order-outcome-consumer' }),
  });
  // Stops before the relay and the database, after the HTTP server (registered at start).
  runtime.shutdown.register('order outcome consumer', () => consumer.stop());
  runtime.readiness.add(
    'order-outcome-consumer',
    () => ({ ok: consumer.running, detail: consumer.running ? 'in group' : 'starting' }),
    {
      critical: false,
    },
  );
  const start = runtime.start.bind(runtime);
  return {
    ...runtime,
    consumer,
    async start() {
      const address = await start();
      consumer.start();
      return address;
    },
  };
}
