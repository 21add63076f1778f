import { RegistryCodec, defaultCatalog } from '@fanout/contracts';
import { isFanoutError } from '@fanout/errors';
import { EventPublisher } from '@fanout/messaging';
import { trace } from '@opentelemetry/api';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config';
import { withCliTelemetry } from '../cli-telemetry';
import { cliKafka, connectAdmin, kafkaUnreachable } from '../kafka-connection';
import { parseEventJson, withMetadata } from '../publish-input';

export interface PublishOutcome {
  eventType: string;
  topic: string;
  key: string;
  eventId: string;
  partition: number;
  offset: string;
  traceId: string | null;
}

/**
 * `fanout publish <EventType> <json>`: validates the event against its schema (the contracts
 * codec, field by field), fills in metadata, and publishes it with the EventPublisher to the
 * catalog's topic, keyed by the catalog's key path. Nothing invalid is ever sent.
 */
export async function publishCommand(
  config: CliConfig,
  eventType: string,
  json: string,
): Promise<string> {
  const catalog = defaultCatalog();
  if (!catalog.hasEvent(eventType))
    throw new CliError(
      `unknown event type "${eventType}": use one of ${catalog.events.map((e) => e.eventType).join(', ')}`,
      2,
    );
  const spec = catalog.event(eventType);
  const event = withMetadata(parseEventJson(json));
  const codec = new RegistryCodec({ registry: { url: config.schemaRegistryUrl }, catalog });
  try {
    const key = asCliError(() => catalog.keyOf(eventType, event), config);
    // Validates (naming each bad field) and resolves the schema id before Kafka is touched.
    await asCliErrorAsync(() => codec.encode(eventType, event, spec.topic), config);
    const kafka = cliKafka(config);
    const admin = await connectAdmin(kafka, config);
    try {
      if (!(await admin.listTopics()).includes(spec.topic))
        throw new CliError(
          `topic ${spec.topic} does not exist yet: the services create their topics when they start (\`npx fanout stack up\`)`,
        );
    } finally {
      await admin.disconnect();
    }
    const outcome = await withCliTelemetry(async () => {
      const publisher = new EventPublisher({ kafka, codec, timeoutMs: 15_000 });
      try {
        await publisher.connect().catch((error: unknown) => {
          throw kafkaUnreachable(config, error);
        });
        return await trace
          .getTracer('@fanout/cli')
          .startActiveSpan(`publish ${eventType}`, async (span) => {
            try {
              const result = await asCliErrorAsync(
                () => publisher.publish({ topic: spec.topic, key, eventType, value: event }),
                config,
              );
              const traceId = trace.isSpanContextValid(span.spanContext())
                ? span.spanContext().traceId
                : null;
              return { ...result, traceId };
            } finally {
              span.end();
            }
          });
      } finally {
        await publisher.disconnect();
      }
    });
    const result: PublishOutcome = {
      eventType,
      topic: spec.topic,
      key,
      eventId: String((event.metadata as { eventId: string }).eventId),
      partition: outcome.partition,
      offset: outcome.offset,
      traceId: outcome.traceId,
    };
    if (config.json) return JSON.stringify(result, null, 2);
    return [
      `published ${eventType} ${result.eventId} to ${result.topic}:${result.partition}@${result.offset} (key ${key})`,
      ...(result.traceId ? [`  trace: npx fanout trace ${result.traceId}`] : []),
    ].join('\n');
  } finally {
    await codec.close();
  }
}

/** Contract errors become one line that says what to fix. */
function toCliError(error: unknown, config: CliConfig): unknown {
  if (!isFanoutError(error)) return error;
  switch (error.code) {
    case 'FANOUT_PAYLOAD_INVALID':
      return new CliError(`${error.message}: fix the event and try again`, 2);
    case 'FANOUT_REGISTRY_UNAVAILABLE':
      return new CliError(
        `the schema registry is not reachable at ${config.schemaRegistryUrl} (${error.message}): start the stack with \`npx fanout stack up\` or pass --registry`,
      );
    default:
      return new CliError(`${error.code}: ${error.message}`);
  }
}

function asCliError<T>(work: () => T, config: CliConfig): T {
  try {
    return work();
  } catch (error) {
    throw toCliError(error, config);
  }
}

async function asCliErrorAsync<T>(work: () => Promise<T>, config: CliConfig): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toCliError(error, config);
  }
}
