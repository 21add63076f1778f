import type { EventMetadata } from './generated/event-types';
import { timeOrderedUuid } from './time-ordered-id';

export interface NewMetadataOptions {
  /** The producing service, e.g. `user-service`. */
  producer: string;
  /** Defaults to the causing event's correlationId, else to the new eventId (a flow starts). */
  correlationId?: string;
  /** Defaults to the causing event's eventId, else null. */
  causationId?: string | null;
  /** The event this one reacts to: carries its correlation on and names it as the cause. */
  causedBy?: Pick<EventMetadata, 'eventId' | 'correlationId'>;
  /** Defaults to now. */
  occurredAt?: Date;
}

/**
 * Metadata for a new event: a fresh eventId (time-ordered, see timeOrderedUuid), and
 * correlation carried from its cause if any.
 */
export function newMetadata(options: NewMetadataOptions): EventMetadata {
  const eventId = timeOrderedUuid();
  return {
    eventId,
    occurredAt: options.occurredAt ?? new Date(),
    correlationId: options.correlationId ?? options.causedBy?.correlationId ?? eventId,
    causationId: options.causationId ?? options.causedBy?.eventId ?? null,
    producer: options.producer,
  };
}
