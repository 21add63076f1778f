import type avsc from 'avsc';
import { NonRetriableError, RetriableError, isFanoutError } from '@fanout/errors';
import type { FanoutError } from '@fanout/errors';
import { parseAvroSchema } from './avro-types';
import type { Catalog, EventSpec } from './catalog';
import { subjectFor } from './catalog';
import { defaultCatalog } from './default-catalog';
import type { EventType, EventTypes } from './generated/event-types';
import { assertValidPayload } from './payload-validation';
import type { SchemaRegistryClientOptions } from './schema-registry-client';
import { SchemaRegistryClient } from './schema-registry-client';
import { frame, unframe } from './wire-format';

/** What `decode` returns. `value` is typed when narrowed with `isEventOf`. */
export interface DecodedEvent<T = unknown> {
  eventType: string;
  value: T;
  schemaId: number;
}

/** The codec contract of CONTRIBUTING.md, shared with @fanout/messaging (structural). */
export interface EventCodec {
  encode(eventType: string, value: unknown, topic: string): Promise<Buffer>;
  decode(bytes: Buffer): Promise<DecodedEvent>;
}

export interface RegistryCodecOptions {
  /** A client, or the options to create one (the codec then owns and closes it). */
  registry: SchemaRegistryClient | SchemaRegistryClientOptions;
  /** Default: the generated catalog (`defaultCatalog()`). */
  catalog?: Catalog;
  /**
   * Register a schema the registry does not have yet (setting the subject's compatibility level
   * first). Default true. With false, publishing an unregistered schema fails.
   */
  autoRegister?: boolean;
}

export interface WaitUntilReadyOptions {
  /** Give up after this long. Default 60 000. */
  timeoutMs?: number;
  /** Called before each wait, so the service can log and report not-ready. */
  onWaiting?: (info: { attempt: number; delayMs: number; error: FanoutError }) => void;
  /** Events this service publishes: their schema ids are resolved (and registered) up front. */
  produces?: ReadonlyArray<{ eventType: string; topic?: string }>;
  signal?: AbortSignal;
}

interface Reader {
  eventType: string;
  type: avsc.Type;
  resolver?: avsc.Resolver;
}

/** Narrows a decoded event to one event type's payload. */
export function isEventOf<K extends EventType>(
  decoded: DecodedEvent,
  eventType: K,
): decoded is DecodedEvent<EventTypes[K]> & { eventType: K } {
  return decoded.eventType === eventType;
}

/**
 * Avro in Confluent wire format through the schema registry, with TopicRecordNameStrategy
 * subjects (`<topic>-<event full name>`).
 *
 * Guarantees: `encode` never returns bytes for a payload that does not match its schema, and
 * never returns bytes without a registered schema id, so nothing unencoded is ever published.
 * Schema ids and parsed writer schemas are cached for the life of the codec; a failed lookup is
 * not cached. `decode` reads with the writer's schema and resolves into the local schema of the
 * same event type, so consumers see the shape their generated types describe.
 *
 * Errors: registry down → RetriableError FANOUT_REGISTRY_UNAVAILABLE; everything about the
 * bytes or the schema (poison) → NonRetriableError, so the consumer dead-letters it at once.
 */
export class RegistryCodec implements EventCodec {
  readonly catalog: Catalog;
  private readonly registry: SchemaRegistryClient;
  private readonly ownsRegistry: boolean;
  private readonly autoRegister: boolean;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly readers = new Map<number, Promise<Reader>>();
  private ready = false;

  constructor(options: RegistryCodecOptions) {
    this.catalog = options.catalog ?? defaultCatalog();
    this.ownsRegistry = !(options.registry instanceof SchemaRegistryClient);
    this.registry =
      options.registry instanceof SchemaRegistryClient
        ? options.registry
        : new SchemaRegistryClient(options.registry);
    this.autoRegister = options.autoRegister ?? true;
  }

  /** True once `waitUntilReady` succeeded; a service's /readyz reports this. */
  isReady(): boolean {
    return this.ready;
  }

  /**
   * Waits for the registry with capped exponential backoff (and resolves the schema ids of
   * `produces`). Throws RetriableError FANOUT_REGISTRY_UNAVAILABLE after `timeoutMs`, or at once
   * a NonRetriableError such as FANOUT_SCHEMA_INCOMPATIBLE that waiting cannot fix.
   */
  async waitUntilReady(options: WaitUntilReadyOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.registry.ping();
        for (const p of options.produces ?? [])
          await this.schemaIdFor(p.eventType, p.topic ?? this.catalog.event(p.eventType).topic);
        this.ready = true;
        return;
      } catch (error) {
        if (!isFanoutError(error) || !error.retriable) throw error;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || options.signal?.aborted)
          throw new RetriableError(
            'FANOUT_REGISTRY_UNAVAILABLE',
            `schema registry at ${this.registry.url} not ready after ${attempt} attempts in ${timeoutMs} ms: ${error.message}`,
            { cause: error },
          );
        const base = Math.min(5000, 200 * 2 ** (attempt - 1));
        const delayMs = Math.min(remaining, Math.round(base / 2 + (Math.random() * base) / 2));
        options.onWaiting?.({ attempt, delayMs, error });
        await sleep(delayMs, options.signal);
      }
    }
  }

  /** Encodes a payload of a catalog event type; `topic` defaults to the catalog's topic. */
  encode<K extends EventType>(eventType: K, value: EventTypes[K], topic?: string): Promise<Buffer>;
  encode(eventType: string, value: unknown, topic?: string): Promise<Buffer>;
  async encode(eventType: string, value: unknown, topic?: string): Promise<Buffer> {
    const spec = this.catalog.event(eventType);
    assertValidPayload(eventType, spec.type, value);
    const schemaId = await this.schemaIdFor(eventType, topic ?? spec.topic);
    return frame(schemaId, spec.type.toBuffer(value));
  }

  async decode(bytes: Buffer): Promise<DecodedEvent> {
    const { schemaId, body } = unframe(bytes);
    const reader = await this.readerFor(schemaId);
    let value: unknown;
    try {
      value = reader.type.fromBuffer(body, reader.resolver);
    } catch (error) {
      throw new NonRetriableError(
        'FANOUT_DECODE_FAILED',
        `body does not match schema id ${schemaId} (${reader.eventType}): ${(error as Error).message}`,
        { cause: error, details: { schemaId, eventType: reader.eventType } },
      );
    }
    return { eventType: reader.eventType, value, schemaId };
  }

  /** The registry id of an event type's schema under `<topic>-<eventType>`. */
  schemaIdFor(eventType: string, topic: string): Promise<number> {
    const spec = this.catalog.event(eventType);
    const subject = subjectFor(topic, eventType);
    let id = this.ids.get(subject);
    if (!id) {
      id = this.resolveSchemaId(subject, spec);
      this.ids.set(subject, id);
      id.catch(() => this.ids.delete(subject));
    }
    return id;
  }

  async close(): Promise<void> {
    if (this.ownsRegistry) await this.registry.close();
  }

  private async resolveSchemaId(subject: string, spec: EventSpec): Promise<number> {
    const text = JSON.stringify(spec.schema);
    const found = await this.registry.lookup(subject, text);
    let id = found?.id;
    if (id === undefined) {
      if (!this.autoRegister)
        throw new NonRetriableError(
          'FANOUT_SCHEMA_NOT_REGISTERED',
          `${spec.eventType} (schemas/${spec.schemaFile}) is not registered under subject ${subject}`,
          { details: { subject, eventType: spec.eventType } },
        );
      // Compatibility first, so no version of the subject is ever registered unguarded.
      await this.registry.setCompatibility(subject, this.catalog.compatibility);
      id = await this.registry.register(subject, text);
    }
    // Our own schema reads our own bytes without a round trip to the registry.
    if (!this.readers.has(id))
      this.readers.set(id, Promise.resolve({ eventType: spec.eventType, type: spec.type }));
    return id;
  }

  private readerFor(schemaId: number): Promise<Reader> {
    let reader = this.readers.get(schemaId);
    if (!reader) {
      reader = this.loadReader(schemaId);
      this.readers.set(schemaId, reader);
      reader.catch(() => this.readers.delete(schemaId));
    }
    return reader;
  }

  private async loadReader(schemaId: number): Promise<Reader> {
    const text = await this.registry.schemaById(schemaId);
    let writer: avsc.Type;
    try {
      writer = parseAvroSchema(text, `schema id ${schemaId}`);
    } catch (error) {
      throw new NonRetriableError('FANOUT_DECODE_FAILED', (error as Error).message, {
        cause: error,
        details: { schemaId },
      });
    }
    const eventType = writer.name;
    if (!eventType)
      throw new NonRetriableError(
        'FANOUT_DECODE_FAILED',
        `schema id ${schemaId} is not a named record, so it is no Fanout event`,
        { details: { schemaId } },
      );
    if (!this.catalog.hasEvent(eventType)) return { eventType, type: writer };
    const local = this.catalog.event(eventType).type;
    if (local.equals(writer)) return { eventType, type: local };
    try {
      return { eventType, type: local, resolver: local.createResolver(writer) };
    } catch (error) {
      throw new NonRetriableError(
        'FANOUT_SCHEMA_INCOMPATIBLE',
        `events written with schema id ${schemaId} cannot be read as the local ${eventType}: ${(error as Error).message}`,
        { cause: error, details: { schemaId, eventType } },
      );
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
