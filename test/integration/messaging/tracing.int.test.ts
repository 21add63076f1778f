import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { RetriableError } from '@fanout/errors';
import { EventPublisher, createConsumerRuntime, type ConsumerRuntime } from '@fanout/messaging';
import { uniqueName } from '@fanout/test-platform';
import { JsonWireCodec } from './json-codec';
import { createTopic, deleteTopics, testEvent, testKafka, waitFor } from './kafka-fixtures';

// The messaging lib uses only @opentelemetry/api; here a test SDK records what it emits.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const prefix = uniqueName('msgtrace');
const kafka = testKafka('messaging-tracing-test');
const codec = new JsonWireCodec();
let runtime: ConsumerRuntime | null = null;

beforeAll(() => {
  // Integration files share one process, and the OpenTelemetry API keeps one global provider:
  // clear whatever an earlier file left registered, or this file's provider would be refused.
  trace.disable();
  propagation.disable();
  context.disable();
  provider.register();
});

afterAll(async () => {
  await runtime?.stop({ deadlineMs: 2_000 });
  await deleteTopics(kafka, prefix);
  await provider.shutdown();
  // Integration files share one process: leave the OpenTelemetry globals as we found them.
  trace.disable();
  propagation.disable();
  context.disable();
});

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing through Kafka', () => {
  it('continues the producer trace in a consumer span per event, with retries and batch links', async () => {
    const topic = `${prefix}-events`;
    await createTopic(kafka, topic, 1);
    const publisher = new EventPublisher({ kafka, codec });
    await publisher.connect();
    const tracer = trace.getTracer('test');
    const request = tracer.startSpan('POST /users');
    const single = testEvent('u1', 0);
    const batched = [testEvent('u2', 0), testEvent('u3', 0)];
    await context.with(trace.setSpan(context.active(), request), async () => {
      await publisher.publish({ topic, key: 'u1', eventType: 'fanout.test.Thing', value: single });
      await publisher.publishBatch(
        batched.map((value) => ({ topic, key: value.key, eventType: 'fanout.test.Thing', value })),
      );
    });
    request.end();
    await publisher.disconnect();

    let failedOnce = false;
    const handledIn = new Map<string, string | undefined>();
    runtime = createConsumerRuntime({
      kafka,
      groupId: `${prefix}-group`,
      topics: [topic],
      codec,
      retry: { immediateAttempts: 2, immediateBackoffMs: 10, tiers: [] },
      handler: async (event) => {
        handledIn.set(event.eventId, trace.getActiveSpan()?.spanContext().spanId);
        if (event.eventId === single.metadata.eventId && !failedOnce) {
          failedOnce = true;
          throw new RetriableError('FANOUT_API_TIMEOUT', 'timed out');
        }
      },
    });
    await runtime.start();
    expect(
      await waitFor(
        () =>
          handledIn.size === 3 && spans().filter((s) => s.name === `process ${topic}`).length === 3,
        // Joining a new group on a loaded 2-core machine can take well over ten seconds.
        60_000,
      ),
    ).toBe(true);

    const traceId = request.spanContext().traceId;
    const send = spans().find((s) => s.name === `send ${topic}` && s.kind === SpanKind.PRODUCER)!;
    expect(send.spanContext().traceId).toBe(traceId);
    expect(parentOf(send)).toBe(request.spanContext().spanId);
    expect(send.attributes['messaging.message.id']).toBe(single.metadata.eventId);

    const processes = spans().filter((s) => s.name === `process ${topic}`);
    const processSingle = processes.find(
      (s) => s.attributes['messaging.message.id'] === single.metadata.eventId,
    )!;
    expect(processSingle.kind).toBe(SpanKind.CONSUMER);
    expect(processSingle.spanContext().traceId).toBe(traceId);
    expect(parentOf(processSingle)).toBe(send.spanContext().spanId);
    expect(processSingle.events.map((e) => e.name)).toContain('attempt failed');

    const retry = spans().find((s) => s.name === `retry ${topic}`)!;
    expect(parentOf(retry)).toBe(processSingle.spanContext().spanId);
    expect(handledIn.get(single.metadata.eventId)).toBe(retry.spanContext().spanId);

    // The batch publish: one create span per event, one send span linking them.
    const creates = spans().filter((s) => s.name === `create ${topic}`);
    expect(creates).toHaveLength(2);
    const batchSend = spans().find((s) => s.name === `send ${topic}` && s.links.length === 2)!;
    expect(batchSend.links.map((l) => l.context.spanId).sort()).toEqual(
      creates.map((c) => c.spanContext().spanId).sort(),
    );
    for (const value of batched) {
      const processed = processes.find(
        (s) => s.attributes['messaging.message.id'] === value.metadata.eventId,
      )!;
      const create = creates.find(
        (c) => c.attributes['messaging.message.id'] === value.metadata.eventId,
      )!;
      expect(parentOf(processed)).toBe(create.spanContext().spanId);
    }
    // The consumer's batch span links to the producers of the records it received.
    const receive = spans().find((s) => s.name === `receive ${topic}`);
    if (receive) expect(receive.links.length).toBeGreaterThanOrEqual(2);
  });
});
