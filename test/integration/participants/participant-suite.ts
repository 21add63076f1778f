import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import type { ConsumerDefinition, ConsumerServiceEnv } from '@fanout/consumer-kit';
import { createSandbox } from '@fanout/sandbox-apis/sandbox';
import type { ApiName, Sandbox } from '@fanout/sandbox-apis/sandbox';
import { uniqueName } from '@fanout/test-platform';
import { EventLog, TestProducer, newCodec, newKafka } from '../saga/saga-fixtures';
import {
  createTopics,
  installTracePropagation,
  sandboxApiEnv,
  startParticipant,
  withMetadata,
} from './participant-fixtures';
import type { RunningParticipant } from './participant-fixtures';

export interface SendOptions {
  eventId?: string;
  correlationId?: string;
  headers?: Record<string, string>;
}

/** One participant under test, wired to the real broker and an in-process sandbox. */
export interface ParticipantSuite<A> {
  kafka: Kafka;
  codec: RegistryCodec;
  sandbox: Sandbox;
  participant: RunningParticipant<A>;
  /** Every reply the participant published, read from its replies topic. */
  replies: EventLog;
  commandsTopic: string;
  /** Sends a command (keyed by its orderId) with fresh metadata; returns that metadata. */
  send(
    eventType: string,
    payload: Record<string, unknown>,
    options?: SendOptions,
  ): Promise<{ eventId: string; correlationId: string }>;
  /** Stops whatever was started, in reverse order; safe after a partial start. */
  stop(): Promise<void>;
}

/**
 * The setup the participant suites share: trace propagation, an in-process sandbox, fresh
 * commands and replies topics, the participant on `<PREFIX>_COMMANDS_TOPIC` and
 * `SAGA_REPLIES_TOPIC` with eventId dedupe off (redeliveries must reach the API: the
 * Idempotency-Key is what is under test), a reply log and a command producer.
 */
export async function startParticipantSuite<C extends ConsumerServiceEnv, A>(
  definition: ConsumerDefinition<C, A>,
  options: {
    api: ApiName;
    /** The env prefix of the API and the commands topic: `INVENTORY`, `PAYMENT`, `SHIPPING`. */
    prefix: string;
    /** Sandbox setup before the participant starts (e.g. payment decline rules). */
    prepareSandbox?: (sandbox: Sandbox) => Promise<void>;
  },
): Promise<ParticipantSuite<A>> {
  installTracePropagation();
  const suite: Partial<ParticipantSuite<A>> = {};
  let producer: TestProducer | undefined;
  const stop = async () => {
    await suite.participant?.stop();
    await Promise.all([suite.replies?.stop(), producer?.disconnect()]);
    await suite.sandbox?.close();
    await suite.codec?.close();
  };
  try {
    suite.kafka = newKafka(`${options.api}-participant-test`);
    suite.codec = newCodec();
    suite.sandbox = await createSandbox({ port: 0 });
    await options.prepareSandbox?.(suite.sandbox);
    const commandsTopic = uniqueName(`${options.api}-commands`);
    const repliesTopic = uniqueName(`${options.api}-replies`);
    suite.commandsTopic = commandsTopic;
    await createTopics(suite.kafka, [commandsTopic, repliesTopic]);
    suite.participant = await startParticipant(definition, {
      ...sandboxApiEnv(suite.sandbox, options.api, options.prefix),
      [`${options.prefix}_COMMANDS_TOPIC`]: commandsTopic,
      SAGA_REPLIES_TOPIC: repliesTopic,
      DEDUPE_ENABLED: 'false',
    });
    suite.replies = new EventLog(suite.kafka, suite.codec, [repliesTopic]);
    const started = new TestProducer(suite.kafka, suite.codec);
    producer = started;
    await Promise.all([suite.replies.start(), started.connect()]);
    return {
      ...(suite as Omit<ParticipantSuite<A>, 'send' | 'stop'>),
      send(eventType, payload, sendOptions = {}) {
        const value = withMetadata(payload, sendOptions);
        return started
          .send(commandsTopic, String(payload.orderId), eventType, value, sendOptions.headers)
          .then(() => value.metadata as { eventId: string; correlationId: string });
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
