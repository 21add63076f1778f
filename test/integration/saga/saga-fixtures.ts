import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { RegistryCodec } from '@fanout/contracts';
import { createLogger } from '@fanout/telemetry';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import {
  EventTypes,
  SagaCoordinator,
  SagaRegistry,
  createOrderSaga,
  orderSagaTopics,
} from '@fanout/saga-coordinator/coordinator';
import type {
  OrderSagaTimeouts,
  SagaCoordinatorConfig,
} from '@fanout/saga-coordinator/coordinator';

/**
 * Fixtures for the saga suites: isolated topics per test, the coordinator (in process or as a
 * child), and the participants played by the test itself: a responder that consumes the command
 * topics and answers on the replies topic, as inventory-, payment- and shipping-consumer will.
 */

export const PARTITIONS = 3;

export type SagaTopicEnv = Pick<
  SagaCoordinatorConfig,
  | 'ORDER_EVENTS_TOPIC'
  | 'SAGA_REPLIES_TOPIC'
  | 'SAGA_STATE_TOPIC'
  | 'SAGA_DEAD_LETTER_TOPIC'
  | 'INVENTORY_COMMANDS_TOPIC'
  | 'PAYMENT_COMMANDS_TOPIC'
  | 'SHIPPING_COMMANDS_TOPIC'
>;

export function newKafka(clientId = 'saga-test'): Kafka {
  return new Kafka({
    clientId,
    brokers: platformEndpoints().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
}

export function newCodec(): RegistryCodec {
  return new RegistryCodec({ registry: { url: platformEndpoints().schemaRegistryUrl } });
}

/** Creates a fresh set of saga topics (the changelog compacted, like the catalog's). */
export async function createSagaTopics(
  kafka: Kafka,
  partitions = PARTITIONS,
): Promise<SagaTopicEnv> {
  const topics: SagaTopicEnv = {
    ORDER_EVENTS_TOPIC: uniqueName('saga-orders'),
    SAGA_REPLIES_TOPIC: uniqueName('saga-replies'),
    SAGA_STATE_TOPIC: uniqueName('saga-state'),
    SAGA_DEAD_LETTER_TOPIC: uniqueName('saga-dlq'),
    INVENTORY_COMMANDS_TOPIC: uniqueName('saga-inventory'),
    PAYMENT_COMMANDS_TOPIC: uniqueName('saga-payment'),
    SHIPPING_COMMANDS_TOPIC: uniqueName('saga-shipping'),
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsSettled(admin, {
      topics: Object.values(topics).map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries:
          topic === topics.SAGA_STATE_TOPIC ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
    });
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/**
 * createTopics, then wait until every new partition has a leader. On a loaded broker kafkajs's
 * own `waitForLeaders` sometimes gives up with UNKNOWN_TOPIC_OR_PARTITION while the topic is
 * still being created; this waits (bounded) instead.
 */
export async function createTopicsSettled(
  admin: Admin,
  request: {
    topics: {
      topic: string;
      numPartitions: number;
      replicationFactor: number;
      configEntries: { name: string; value: string }[];
    }[];
  },
): Promise<void> {
  await admin.createTopics({ ...request, waitForLeaders: false });
  const names = request.topics.map((t) => t.topic);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      if (topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} have no leaders after 30 s`);
    await sleep(100);
  }
}

export interface InProcessCoordinator {
  coordinator: SagaCoordinator;
  stop(): Promise<void>;
}

/** The coordinator in this process (no telemetry SDK), with short timeouts for tests. */
export async function startCoordinator(
  kafka: Kafka,
  topics: SagaTopicEnv,
  timeouts: Partial<OrderSagaTimeouts> = {},
): Promise<InProcessCoordinator> {
  const codec = newCodec();
  const groupId = uniqueName('saga-coordinator');
  const coordinator = new SagaCoordinator({
    kafka,
    codec,
    sagas: SagaRegistry.of([
      createOrderSaga({
        reserveInventoryMs: 20_000,
        authorizePaymentMs: 20_000,
        createShipmentMs: 20_000,
        sagaMs: 60_000,
        compensationMs: 5_000,
        ...timeouts,
      }),
    ]),
    topics: orderSagaTopics(topics),
    groupId,
    transactionalIdPrefix: groupId,
    producerName: 'saga-coordinator',
    logger: createLogger({ name: 'saga-coordinator', level: 'silent' }),
    metrics: { sagaFinished: () => undefined, deadLetter: () => undefined },
    tickIntervalMs: 50,
  });
  await coordinator.start();
  await waitFor('the coordinator restored its partitions', () => coordinator.isReady(), 30_000);
  return {
    coordinator,
    async stop() {
      await coordinator.stop();
      await codec.close();
    },
  };
}

export interface OrderInput {
  orderId: string;
  items?: { sku: string; quantity: number; unitPriceMinor: number }[];
}

export function orderPlaced(input: OrderInput): Record<string, unknown> {
  const items = input.items ?? [
    { sku: 'SKU-1', quantity: 2, unitPriceMinor: 1_250 },
    { sku: 'SKU-2', quantity: 1, unitPriceMinor: 500 },
  ];
  return {
    metadata: {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId: randomUUID(),
      causationId: null,
      producer: 'order-service',
    },
    orderId: input.orderId,
    customerId: 'customer-1',
    items,
    currency: 'EUR',
    totalMinor: items.reduce((sum, i) => sum + i.quantity * i.unitPriceMinor, 0),
    shippingAddress: {
      recipientName: 'Ada Lovelace',
      line1: '1 Analytical Way',
      line2: null,
      city: 'London',
      postalCode: 'N1 1AA',
      region: null,
      country: 'GB',
    },
  };
}

/** Produces Avro events (or raw bytes) the way the other services do. */
export class TestProducer {
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly codec: RegistryCodec,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async send(
    topic: string,
    key: string,
    eventType: string,
    value: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<void> {
    const bytes = await this.codec.encode(eventType, value, topic);
    await this.producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: bytes, headers: { 'fanout.event_type': eventType, ...headers } }],
    });
  }

  async sendRaw(topic: string, key: string, value: Buffer): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: [{ key, value }] });
  }
}

export interface ReceivedEvent {
  topic: string;
  partition: number;
  key: string;
  eventType: string;
  value: Record<string, unknown>;
  headers: Record<string, string>;
  receivedAt: number;
}

/** Reads topics (committed records only) from the beginning and keeps every decoded event. */
export class EventLog {
  readonly events: ReceivedEvent[] = [];
  readonly raw: { topic: string; message: KafkaMessage }[] = [];
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly codec: RegistryCodec,
    private readonly topics: string[],
    private readonly onEvent?: (event: ReceivedEvent) => Promise<void> | void,
    private readonly decode = true,
  ) {
    this.consumer = kafka.consumer({
      groupId: uniqueName('saga-test-reader'),
      maxWaitTimeInMs: 50,
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.raw.push({ topic, message });
        if (!this.decode || !message.value) return;
        const decoded = await this.codec.decode(message.value);
        const event: ReceivedEvent = {
          topic,
          partition,
          key: message.key?.toString() ?? '',
          eventType: decoded.eventType,
          value: decoded.value as Record<string, unknown>,
          headers: headersOf(message.headers),
          receivedAt: Date.now(),
        };
        this.events.push(event);
        await this.onEvent?.(event);
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }

  of(orderId: string, eventType?: string): ReceivedEvent[] {
    return this.events.filter(
      (e) => e.key === orderId && (!eventType || e.eventType === eventType),
    );
  }
}

export function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/** How the played participants answer one command: replies (with optional delays), or silence. */
export interface Reply {
  eventType: string;
  payload?: Record<string, unknown>;
  delayMs?: number;
}
export type Behaviour = (command: ReceivedEvent) => Reply[] | undefined;

/** Every participant succeeds at once. */
export const succeed: Behaviour = (command) => {
  const orderId = String(command.value.orderId);
  switch (command.eventType) {
    case EventTypes.ReserveInventory:
      return [
        { eventType: EventTypes.InventoryReserved, payload: { reservationId: `res-${orderId}` } },
      ];
    case EventTypes.AuthorizePayment:
      return [
        {
          eventType: EventTypes.PaymentAuthorized,
          payload: { authorizationId: `auth-${orderId}` },
        },
      ];
    case EventTypes.CreateShipment:
      return [
        { eventType: EventTypes.ShipmentCreated, payload: { shipmentId: `ship-${orderId}` } },
      ];
    case EventTypes.ReleaseInventory:
      return [{ eventType: EventTypes.InventoryReleased }];
    case EventTypes.VoidPayment:
      return [{ eventType: EventTypes.PaymentVoided }];
    case EventTypes.CancelShipment:
      return [{ eventType: EventTypes.ShipmentCancelled }];
    default:
      return undefined;
  }
};

export function failure(code: string, message: string): Record<string, unknown> {
  return { failure: { code, message, retriable: false } };
}

/**
 * Plays inventory-, payment- and shipping-consumer: reads their command topics and replies on
 * the replies topic, keyed by order id, with the command's trace context, as they will.
 */
export class Participants {
  readonly commands: EventLog;
  private readonly producer: TestProducer;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    kafka: Kafka,
    codec: RegistryCodec,
    private readonly topics: SagaTopicEnv,
    public behaviour: Behaviour = succeed,
  ) {
    this.producer = new TestProducer(kafka, codec);
    this.commands = new EventLog(
      kafka,
      codec,
      [
        topics.INVENTORY_COMMANDS_TOPIC,
        topics.PAYMENT_COMMANDS_TOPIC,
        topics.SHIPPING_COMMANDS_TOPIC,
      ],
      (command) => this.answer(command),
    );
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.commands.start();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await this.commands.stop();
    await this.producer.disconnect();
  }

  /** Sends a reply as a participant would (also used to inject duplicates and strays). */
  async reply(
    orderId: string,
    eventType: string,
    payload: Record<string, unknown> = {},
    headers: Record<string, string> = {},
    eventId = randomUUID(),
  ): Promise<void> {
    await this.producer.send(
      this.topics.SAGA_REPLIES_TOPIC,
      orderId,
      eventType,
      {
        metadata: {
          eventId,
          occurredAt: Date.now(),
          correlationId: orderId,
          causationId: null,
          producer: 'test-participant',
        },
        orderId,
        ...payload,
      },
      headers,
    );
  }

  sendRaw(orderId: string, bytes: Buffer): Promise<void> {
    return this.producer.sendRaw(this.topics.SAGA_REPLIES_TOPIC, orderId, bytes);
  }

  private async answer(command: ReceivedEvent): Promise<void> {
    const replies = this.behaviour(command) ?? [];
    const orderId = String(command.value.orderId);
    const trace: Record<string, string> = {};
    if (command.headers.traceparent) trace.traceparent = command.headers.traceparent;
    for (const reply of replies) {
      const send = () => this.reply(orderId, reply.eventType, reply.payload ?? {}, trace);
      if (!reply.delayMs) {
        await send();
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void send().catch(() => undefined);
      }, reply.delayMs);
      this.timers.add(timer);
    }
  }
}

/** Polls until `check` holds; fails naming what it waited for. Bounded in time. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const TERMINAL_TYPES: readonly string[] = [
  EventTypes.OrderConfirmed,
  EventTypes.OrderCancelled,
];

/** `waitFor` with an asynchronous check (an HTTP probe, a query). Bounded in time. */
export async function waitForAsync(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
