import type { IHeaders } from 'kafkajs';
import type { DecodedEvent } from './event-codec';
import { readHeaders } from './message-headers';

/** One decoded event as a handler sees it. */
export interface ConsumedEvent<T = unknown> {
  eventId: string;
  eventType: string;
  value: T;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  schemaId: number;
  headers: Readonly<Record<string, string>>;
  /** 1 on the first try; counts every handler attempt, across retry tiers. */
  attempt: number;
  /** 0 for the source topic, n for `<group>.retry.n`. */
  retryTier: number;
  /** Where the event was first consumed (differs from `topic` on a retry tier). */
  originalTopic: string;
}

/** A handled record as the handler sees it; its headers are decoded on first read. */
export class ConsumedRecord implements ConsumedEvent {
  readonly eventType: string;
  readonly value: unknown;
  readonly schemaId: number;
  private decodedHeaders: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly eventId: string,
    decoded: DecodedEvent,
    readonly key: string | null,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    private readonly rawHeaders: IHeaders,
    readonly attempt: number,
    readonly retryTier: number,
    readonly originalTopic: string,
  ) {
    this.eventType = decoded.eventType;
    this.value = decoded.value;
    this.schemaId = decoded.schemaId;
  }

  get headers(): Readonly<Record<string, string>> {
    this.decodedHeaders ??= readHeaders(this.rawHeaders);
    return this.decodedHeaders;
  }
}

export function eventIdOf(value: unknown): string | null {
  const id = (value as { metadata?: { eventId?: unknown } } | null)?.metadata?.eventId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}
