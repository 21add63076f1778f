import {
  context as otelContext,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { Partitioners } from 'kafkajs';
import type { Kafka, Message, Producer, ProducerConfig, RecordMetadata } from 'kafkajs';
import type { ErrorCode, FanoutError } from '@fanout/errors';
import { NonRetriableError, RetriableError, isFanoutError } from '@fanout/errors';
import type { EventCodec } from './event-codec';
import { Headers, headerSetter } from './message-headers';
import { PartitionResolver } from './partition-resolver';
import { kafkaErrorType, publishError } from './publish-error';
import { Attr, messagingTracer } from './tracing';

/** Sends of the records whose partition the broker did not acknowledge, before giving up. */
const CONFIRM_ATTEMPTS = 5;

/** One event to publish. `value` carries the `metadata` record of every Fanout event. */
export interface PublishRequest {
  topic: string;
  /** The aggregate id: every event of one aggregate lands on one partition, in order. */
  key: string;
  /** Avro full name, e.g. `fanout.user.UserRegistered`. */
  eventType: string;
  value: unknown;
  /** Extra headers (strings). The standard ones are derived from `value.metadata`. */
  headers?: Record<string, string>;
  /**
   * Trace context to continue, e.g. the one stored with an outbox row. Defaults to the
   * active context.
   */
  context?: Context;
}

/** Where a produce request landed: one entry per topic-partition, with its base offset. */
export interface PublishResult {
  topic: string;
  partition: number;
  offset: string;
}

export interface EventPublisherOptions {
  kafka: Kafka;
  codec: EventCodec;
  /** Overrides for the kafkajs producer; idempotence and acks=all are not negotiable. */
  producer?: Omit<ProducerConfig, 'idempotent'>;
  /** Request timeout of one send, in ms. */
  timeoutMs?: number;
}

interface EventMetadata {
  eventId: string;
  occurredAt: number;
  correlationId: string;
  causationId: string | null;
  producer: string;
}

/**
 * Publishes Fanout events: idempotent producer, acks=all, keyed by aggregate id, value
 * through the codec, headers per CONTRIBUTING.md with the W3C trace context injected.
 *
 * Guarantees: a resolved publish is durable on all in-sync replicas. Events sent in one
 * `publishBatch` keep their order per key (one idempotent produce request per partition,
 * one request in flight), which is what the outbox relay needs.
 */
export class EventPublisher {
  private producer: Producer;
  private readonly createProducer: () => Producer;
  private readonly codec: EventCodec;
  private readonly timeoutMs: number;
  private readonly tracer = messagingTracer();
  private readonly partitions: PartitionResolver;
  private connected = false;
  /** The producer was replaced while connected and its successor could not connect yet. */
  private reconnect = false;

  constructor(options: EventPublisherOptions) {
    this.codec = options.codec;
    this.partitions = new PartitionResolver(options.kafka);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.createProducer = () =>
      options.kafka.producer({
        // Records carry an explicit partition (PartitionResolver, the same murmur2 choice);
        // naming the partitioner also keeps kafkajs from warning about its v2 default.
        createPartitioner: Partitioners.DefaultPartitioner,
        ...options.producer,
        idempotent: true,
        // kafkajs keeps idempotent ordering only with a single request in flight.
        maxInFlightRequests: 1,
      });
    this.producer = this.createProducer();
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (error) {
      throw publishError(error, 'producer could not connect');
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.partitions.close();
    await this.producer.disconnect();
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    const [result] = await this.publishBatch([request]);
    if (!result) throw new RetriableError('FANOUT_PUBLISH_FAILED', 'broker returned no offset');
    return result;
  }

  /**
   * Publishes several events in one round trip. Each event gets its own `create <topic>` span
   * (child of its own context, so each continues its own trace) and the one `send` span links
   * to all of them: the batch path uses links, not a shared parent.
   */
  async publishBatch(requests: readonly PublishRequest[]): Promise<PublishResult[]> {
    if (requests.length === 0) return [];
    const single = requests.length === 1;
    const createSpans: Span[] = [];
    const byTopic = new Map<string, Message[]>();
    try {
      for (const request of requests) {
        const metadata = readMetadata(request);
        const parent = request.context ?? otelContext.active();
        const span = this.tracer.startSpan(
          `${single ? 'send' : 'create'} ${request.topic}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              [Attr.system]: 'kafka',
              [Attr.destination]: request.topic,
              [Attr.operationType]: single ? 'send' : 'create',
              [Attr.operationName]: single ? 'send' : 'create',
              [Attr.messageId]: metadata.eventId,
              [Attr.conversationId]: metadata.correlationId,
              [Attr.key]: request.key,
              [Attr.eventType]: request.eventType,
            },
          },
          parent,
        );
        createSpans.push(span);
        const headers: Record<string, string> = {
          ...request.headers,
          [Headers.messageId]: metadata.eventId,
          [Headers.conversationId]: metadata.correlationId,
          [Headers.eventType]: request.eventType,
          [Headers.producer]: metadata.producer,
          [Headers.occurredAt]: String(metadata.occurredAt),
        };
        if (metadata.causationId) headers[Headers.causationId] = metadata.causationId;
        propagation.inject(trace.setSpan(parent, span), headers, headerSetter);
        const value = await this.codec.encode(request.eventType, request.value, request.topic);
        const partition = await this.partitionOf(request.topic, request.key);
        const messages = byTopic.get(request.topic) ?? [];
        messages.push({ key: request.key, value, headers, partition });
        byTopic.set(request.topic, messages);
      }
    } catch (error) {
      const wrapped = isFanoutError(error)
        ? error
        : new NonRetriableError('FANOUT_SCHEMA_INVALID', `cannot encode event: ${message(error)}`, {
            cause: error,
          });
      for (const span of createSpans) endWithError(span, wrapped);
      throw wrapped;
    }

    const sendSpan = single
      ? createSpans[0]!
      : this.tracer.startSpan(`send ${[...byTopic.keys()].join(',')}`, {
          kind: SpanKind.PRODUCER,
          links: createSpans.map((span): Link => ({ context: span.spanContext() })),
          attributes: {
            [Attr.system]: 'kafka',
            [Attr.operationType]: 'send',
            [Attr.operationName]: 'send',
            [Attr.batchCount]: requests.length,
          },
        });
    let metadata: RecordMetadata[];
    try {
      if (this.reconnect) {
        this.connected = false;
        await this.connect();
        this.reconnect = false;
      }
      metadata = await this.sendConfirmed(byTopic, sendSpan);
    } catch (error) {
      const stale = producerIdStale(error);
      if (stale) await this.replaceProducer();
      // kafkajs gives up after a few seconds of retriable errors (a leader moving, a broker
      // restarting) and reports that as non-retriable; so is a producer id the broker refused.
      // Both pass: a consumer that publishes a reply must retry, not dead-letter its event.
      const wrapped = publishError(error, 'publish failed');
      endWithError(sendSpan, wrapped);
      if (!single) for (const span of createSpans) endWithError(span, wrapped);
      throw wrapped;
    }
    sendSpan.end();
    if (!single) for (const span of createSpans) span.end();
    return metadata.map((entry) => ({
      topic: entry.topicName,
      partition: entry.partition,
      offset: entry.baseOffset ?? entry.offset ?? '-1',
    }));
  }

  /**
   * kafkajs 2.2.4 can resolve a send without the partition whose leader died mid-request (it
   * retries only the brokers that had not answered; see deploy/local/README.md). A record
   * therefore counts as acknowledged only when the returned metadata names its partition with
   * no error; the others are sent again, in their original order, a bounded number of times.
   */
  private async sendConfirmed(
    byTopic: Map<string, Message[]>,
    span: Span,
  ): Promise<RecordMetadata[]> {
    let pending = [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages }));
    const acknowledged: RecordMetadata[] = [];
    for (let attempt = 1; ; attempt++) {
      const metadata = await this.producer.sendBatch({
        acks: -1,
        timeout: this.timeoutMs,
        topicMessages: pending,
      });
      const confirmed = new Set(
        metadata.filter((m) => m.errorCode === 0).map((m) => `${m.topicName}:${m.partition}`),
      );
      acknowledged.push(...metadata.filter((m) => m.errorCode === 0));
      pending = pending
        .map(({ topic, messages }) => ({
          topic,
          messages: messages.filter((m) => !confirmed.has(`${topic}:${m.partition}`)),
        }))
        .filter(({ messages }) => messages.length > 0);
      if (pending.length === 0) return acknowledged;
      const unacknowledged = pending.reduce((n, { messages }) => n + messages.length, 0);
      if (attempt >= CONFIRM_ATTEMPTS)
        throw new RetriableError(
          'FANOUT_PUBLISH_FAILED',
          `the broker did not acknowledge ${unacknowledged} records after ${attempt} sends`,
          {
            details: { topics: pending.map((p) => p.topic) },
          },
        );
      span.addEvent('resend unacknowledged partitions', { attempt, records: unacknowledged });
    }
  }

  /**
   * kafkajs 2.2.4 never recovers an idempotent producer whose sequence numbers the broker refuses
   * (OUT_OF_ORDER_SEQUENCE_NUMBER after a partition leader died mid-request): every later send
   * fails the same way, so an outbox relay would retry forever (found by the chaos suite's
   * broker kill). A new producer gets a new producer id and fresh sequences; the caller sends the
   * failed records again (at least once: consumers dedupe by event id).
   */
  private async replaceProducer(): Promise<void> {
    const stale = this.producer;
    this.producer = this.createProducer();
    await stale.disconnect().catch(() => undefined);
    if (!this.connected) return;
    try {
      await this.producer.connect();
    } catch {
      this.reconnect = true;
    }
  }

  private async partitionOf(topic: string, key: string): Promise<number> {
    try {
      return await this.partitions.partitionOf(topic, key);
    } catch (error) {
      this.partitions.forget(topic);
      throw publishError(error, `cannot read the partitions of ${topic}`);
    }
  }
}

/** Broker errors after which this producer id's sequence state is gone for good. */
const STALE_PRODUCER_ID = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

function producerIdStale(error: unknown): boolean {
  return STALE_PRODUCER_ID.has(kafkaErrorType(error) ?? '');
}

function readMetadata(request: PublishRequest): EventMetadata {
  const metadata = (request.value as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (!metadata || typeof metadata.eventId !== 'string' || metadata.eventId.length === 0) {
    throw new NonRetriableError(
      'FANOUT_SCHEMA_INVALID',
      `event ${request.eventType} has no metadata.eventId`,
      { details: { eventType: request.eventType, field: 'metadata.eventId' } },
    );
  }
  const occurred = metadata.occurredAt;
  const occurredAt =
    occurred instanceof Date ? occurred.getTime() : typeof occurred === 'number' ? occurred : NaN;
  return {
    eventId: metadata.eventId,
    occurredAt: Number.isFinite(occurredAt) ? occurredAt : Date.now(),
    correlationId: typeof metadata.correlationId === 'string' ? metadata.correlationId : '',
    causationId: typeof metadata.causationId === 'string' ? metadata.causationId : null,
    producer: typeof metadata.producer === 'string' ? metadata.producer : '',
  };
}

function endWithError(span: Span, error: FanoutError): void {
  span.recordException(error);
  span.setAttribute(Attr.errorCode, error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.end();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** kafkajs marks its errors `retriable`; we keep that decision and give it our code. */
export function wrapKafkaError(
  error: unknown,
  what: string,
  code: ErrorCode = 'FANOUT_PUBLISH_FAILED',
): FanoutError {
  if (isFanoutError(error)) return error;
  const retriable =
    typeof error === 'object' && error !== null && 'retriable' in error
      ? Boolean((error as { retriable: unknown }).retriable)
      : true;
  const options = { cause: error, details: { kafka: (error as Error)?.name } };
  return retriable
    ? new RetriableError(code, `${what}: ${message(error)}`, options)
    : new NonRetriableError(code, `${what}: ${message(error)}`, options);
}
