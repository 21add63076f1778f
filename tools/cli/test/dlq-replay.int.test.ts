import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { trace } from '@opentelemetry/api';
import { RegistryCodec, newMetadata } from '@fanout/contracts';
import type { UserRegistered } from '@fanout/contracts';
import { NonRetriableError } from '@fanout/errors';
import { EventPublisher, Headers, createConsumerRuntime } from '@fanout/messaging';
import type { ConsumedEvent, ConsumerRuntime } from '@fanout/messaging';
import { startTelemetry } from '@fanout/telemetry';
import type { Telemetry } from '@fanout/telemetry';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { runCli } from './run-cli';

interface Row {
  id: string;
  group: string;
  eventId: string;
  errorCode: string;
  reason: string;
  replayOf: string | null;
  traceId: string | null;
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A tiny runtime consumer whose handler throws a non-retriable error dead-letters a real event;
 * the CLI lists, shows and replays it. A replay whose cause is not fixed goes back to the
 * dead-letter topic linked to the first attempt; once fixed, the replay is handled.
 */
describe('fanout dlq against a real dead-letter topic', () => {
  const endpoints = platformEndpoints();
  const topic = uniqueName('cli-dlq-src');
  const group = uniqueName('cli-dlq-group');
  const dlqTopic = `${group}.dlq`;
  const kafka = new Kafka({
    clientId: 'cli-dlq-test',
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const codec = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl } });
  let admin: Admin;
  let telemetry: Telemetry;
  let runtime: ConsumerRuntime;
  let publisher: EventPublisher;
  let fixed = false;
  const handled: ConsumedEvent[] = [];
  let deadLetters = 0;
  const userId = uniqueName('user');
  const event: UserRegistered = {
    metadata: newMetadata({ producer: 'cli-dlq-test' }),
    userId,
    email: `${userId}@example.com`,
    name: 'Ada',
    marketingConsent: false,
    locale: 'en-GB',
  };
  let firstTraceId = '';

  const list = async (): Promise<Row[]> => {
    const run = await runCli(['--json', 'dlq', 'list', '--group', group]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Row[];
  };

  beforeAll(async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoints.otlpHttpUrl;
    telemetry = startTelemetry({ serviceName: 'cli-dlq-test' });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    runtime = createConsumerRuntime({
      kafka,
      groupId: group,
      topics: [topic],
      codec,
      retry: { immediateAttempts: 1, tiers: [1_000] },
      dedupe: false,
      handler: async (consumed) => {
        if (!fixed)
          throw new NonRetriableError('TEST_CAUSE_NOT_FIXED', 'the CRM refuses this contact');
        handled.push(consumed);
      },
    });
    runtime.events.on('dead-letter', () => (deadLetters += 1));
    await runtime.start();
    publisher = new EventPublisher({ kafka, codec });
    await publisher.connect();
    await trace.getTracer('cli-dlq-test').startActiveSpan('register user', async (span) => {
      firstTraceId = span.spanContext().traceId;
      await publisher.publish({
        topic,
        key: userId,
        eventType: 'fanout.user.UserRegistered',
        value: event,
      });
      span.end();
    });
    await eventually('the first dead letter', async () => (deadLetters >= 1 ? true : undefined));
  });

  afterAll(async () => {
    await runtime?.stop({ deadlineMs: 5_000 });
    await publisher?.disconnect();
    await admin
      ?.deleteTopics({ topics: [topic, dlqTopic, `${group}.retry.1`] })
      .catch(() => undefined);
    await admin?.disconnect();
    await codec.close();
    await telemetry?.shutdown();
  });

  it('dlq list shows the dead-lettered event with its reason, error code and trace', async () => {
    const rows = await list();
    expect(rows).toEqual([
      expect.objectContaining({
        id: `${dlqTopic}:0:0`,
        group,
        eventId: event.metadata.eventId,
        errorCode: 'TEST_CAUSE_NOT_FIXED',
        reason: 'non-retriable',
        replayOf: null,
        traceId: firstTraceId,
      }),
    ]);
  });

  it('dlq show decodes the event and prints every failure header', async () => {
    const run = await runCli(['--json', 'dlq', 'show', `${dlqTopic}:0:0`]);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as {
      value: UserRegistered;
      headers: Record<string, string>;
      attempts: number;
    };
    expect(shown.value).toMatchObject({ userId, email: event.email });
    expect(shown.headers[Headers.originalTopic]).toBe(topic);
    expect(shown.headers[Headers.errorMessage]).toBe('the CRM refuses this contact');
    expect(shown.attempts).toBe(1);
    const text = await runCli(['dlq', 'show', `${dlqTopic}:0:0`]);
    expect(text.stdout.split('\n')[0]).toBe(
      `${dlqTopic}:0:0  fanout.user.UserRegistered  event ${event.metadata.eventId}`,
    );
  });

  it('dlq replay --dry-run sends nothing', async () => {
    const before = await admin.fetchTopicOffsets(topic);
    const run = await runCli(['--json', 'dlq', 'replay', `${dlqTopic}:0:0`, '--dry-run']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ dryRun: true, topic, key: userId });
    expect(await admin.fetchTopicOffsets(topic)).toEqual(before);
  });

  it('a replay whose cause is not fixed goes back to the dead-letter topic, linked to the first attempt and its trace', async () => {
    const run = await runCli(['--json', 'dlq', 'replay', `${dlqTopic}:0:0`]);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as {
      topic: string;
      traceId: string;
      headers: Record<string, string>;
    };
    expect(outcome).toMatchObject({ topic, traceId: firstTraceId });
    await eventually('the second dead letter', async () => (deadLetters >= 2 ? true : undefined));
    const rows = await eventually('two dead-letter records', async () => {
      const r = await list();
      return r.length === 2 ? r : undefined;
    });
    expect(rows[0]).toMatchObject({ id: `${dlqTopic}:0:0`, replayOf: null });
    expect(rows[1]).toMatchObject({
      id: `${dlqTopic}:0:1`,
      eventId: event.metadata.eventId,
      errorCode: 'TEST_CAUSE_NOT_FIXED',
      replayOf: `${dlqTopic}:0:0`,
      traceId: firstTraceId,
    });
  });

  it('once the cause is fixed, replaying the latest dead letter delivers the same event in the same trace', async () => {
    fixed = true;
    const run = await runCli(['dlq', 'replay', `${dlqTopic}:0:1`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^replayed ${dlqTopic}:0:1 to ${topic}:0@\\d+`));
    const consumed = await eventually('the replayed event handled', async () => handled[0]);
    expect(consumed.eventId).toBe(event.metadata.eventId);
    expect(consumed.headers['fanout.replay_of']).toBe(`${dlqTopic}:0:1`);
    expect(consumed.headers.traceparent).toContain(firstTraceId);
    expect(handled).toHaveLength(1);
  });

  it("Jaeger shows both replays in the original trace, each linked to the first delivery's context", async () => {
    await telemetry.forceFlush();
    const spans = await eventually(
      'replay spans in Jaeger',
      async () => {
        const response = await fetch(`${endpoints.jaegerQueryUrl}/api/traces/${firstTraceId}`);
        if (!response.ok) return undefined;
        const body = (await response.json()) as {
          data: Array<{
            spans: Array<{
              operationName: string;
              references: Array<{ refType: string; spanID: string }>;
            }>;
          }>;
        };
        const all = body.data[0]?.spans ?? [];
        // The consumer exports its dead-letter spans in its own batches: wait for both kinds.
        const complete =
          all.filter((s) => s.operationName === `replay ${topic}`).length === 2 &&
          all.filter((s) => s.operationName === `dead-letter ${dlqTopic}`).length >= 2;
        return complete ? all : undefined;
      },
      90_000,
    );
    const replays = spans.filter((s) => s.operationName === `replay ${topic}`);
    for (const replay of replays) {
      expect(replay.references.map((r) => r.refType).sort()).toEqual(['CHILD_OF', 'FOLLOWS_FROM']);
    }
    expect(spans.filter((s) => s.operationName === `dead-letter ${dlqTopic}`)).toHaveLength(2);
  });
});
