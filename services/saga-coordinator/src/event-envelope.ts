import { createHash } from 'node:crypto';

export interface EnvelopeFacts {
  saga: string;
  sagaId: string;
  /** The saga state version the emission belongs to, and its index among that version's emissions. */
  version: number;
  index: number;
  correlationId: string;
  /** eventId of the input that caused the emission; null for a timer. */
  causationId: string | null;
  producer: string;
  occurredAt: number;
}

/**
 * The eventId of an emission, derived from (saga, id, state version, index): the same state
 * transition always yields the same ids, so if a transition is ever applied twice its commands
 * dedupe at the participants, which derive their Idempotency-Keys from the eventId. A resent
 * compensation belongs to a later version, so it gets a new id and is answered again.
 */
export function emissionEventId(
  facts: Pick<EnvelopeFacts, 'saga' | 'sagaId' | 'version' | 'index'>,
): string {
  const hash = createHash('sha1')
    .update(
      `fanout-saga\u0000${facts.saga}\u0000${facts.sagaId}\u0000${facts.version}\u0000${facts.index}`,
    )
    .digest();
  // RFC 4122 name-based layout (version 5, variant 10), so the codec's uuid check accepts it.
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The payload with the `metadata` record every Fanout event carries. */
export function withMetadata(
  payload: Record<string, unknown>,
  facts: EnvelopeFacts,
): Record<string, unknown> & { metadata: Record<string, unknown> } {
  return {
    ...payload,
    metadata: {
      eventId: emissionEventId(facts),
      occurredAt: facts.occurredAt,
      correlationId: facts.correlationId,
      causationId: facts.causationId,
      producer: facts.producer,
    },
  };
}
