import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultCatalog, ensureTopicSpecs } from '@fanout/contracts';
import type { TopicSpec } from '@fanout/contracts';
import { createDomainRuntime } from '@fanout/service-kit';
import type { DomainRuntime, GlobalTable } from '@fanout/service-kit';
import type { Logger, Telemetry } from '@fanout/telemetry';
import type { OrderServiceConfig } from './config';
import { customerCheck, customersTable, noCustomerCheck } from './customer-check';
import type { Customer } from './customer-check';
import { userServiceOwner } from './user-service-owner';
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
  const catalog = defaultCatalog();
  const spec = (catalogName: string, name: string): TopicSpec => {
    const topic = catalog.topics.find((t) => t.name === catalogName);
    return { name, partitions: topic?.partitions ?? 6, config: topic?.config ?? {} };
  };
  const checking = config.CUSTOMER_CHECK === 'view';
  const contactsTopic = spec('fanout.user.contacts', config.USER_CONTACTS_TOPIC);
  const runtime = await createDomainRuntime({
    name: 'order-service',
    config,
    logger,
    telemetry,
    topics: [
      spec('fanout.order.events', config.ORDER_EVENTS_TOPIC),
      ...(checking ? [contactsTopic] : []),
    ],
  });
  const customers = checking
    ? customersTable({
        topic: config.USER_CONTACTS_TOPIC,
        kafka: runtime.kafka,
        codec: runtime.codec,
        file: join(config.DATA_DIR, 'order-service-view-customers.db'),
        logger: logger.child({ component: 'view', view: 'customers' }),
        groupPrefix: config.ORDER_CONSUMER_GROUP,
      })
    : undefined;
  const orders = new OrderRepository(runtime.db);
  orderRoutes(runtime.app, {
    groupCommit: runtime.groupCommit,
    orders,
    outbox: runtime.outbox,
    topic: config.ORDER_EVENTS_TOPIC,
    customers: customers
      ? customerCheck(
          customers,
          config.CUSTOMER_WAIT_MS,
          config.USER_SERVICE_URL && config.USER_SERVICE_API_KEY
            ? userServiceOwner({
                url: config.USER_SERVICE_URL,
                apiKey: config.USER_SERVICE_API_KEY,
                timeoutMs: config.USER_SERVICE_TIMEOUT_MS,
                logger: logger.child({ component: 'customer-check' }),
              })
            : undefined,
        )
      : noCustomerCheck,
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
  if (customers) {
    // Registered last, so it stops first (closers run in reverse): nothing depends on it.
    runtime.shutdown.register('customers view', () => customers.stop());
    runtime.readiness.add('view:customers', () => {
      const stats = customers.stats;
      return {
        ok: customers.healthy,
        detail: `${stats.caughtUp ? 'caught up' : 'catching up'}: ${stats.rows} customers, ${stats.recordsReadToCatchUp} records read to catch up${stats.resumed ? ' (resumed from the local file)' : ''}`,
      };
    });
  }
  const start = runtime.start.bind(runtime);
  return {
    ...runtime,
    consumer,
    async start() {
      const address = await start();
      consumer.start();
      if (customers) {
        // The view reads a topic user-service may not have written yet: create it if missing,
        // or a fresh system would wait for its first registration to become ready.
        const ensureTopic = async () => {
          const admin = runtime.kafka.admin();
          await admin.connect();
          try {
            await ensureTopicSpecs(admin, [contactsTopic], {
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            });
          } finally {
            await admin.disconnect().catch(() => undefined);
          }
        };
        void startView(customers, ensureTopic, logger);
      }
      return address;
    },
  };
}

/** Starts the view in the background, again after a failed start (Kafka not there yet). */
async function startView(
  view: GlobalTable<Customer>,
  ensureTopic: () => Promise<unknown>,
  logger: Logger,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopic();
      await view.start();
      return;
    } catch (error) {
      if (!view.startable) return;
      if (attempt === 1 || attempt % 10 === 0)
        logger.warn({ err: error, attempt }, 'customers view could not start; retrying');
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)));
    }
  }
}
