import { EventTypeNames, newMetadata } from '@fanout/contracts';
import type { UserContact, UserRegistered } from '@fanout/contracts';
import type { OutboxEvent } from '@fanout/service-kit';
import type { User } from './user';

export const PRODUCER = 'user-service';

/** The UserRegistered event for a new user, ready for the outbox. A registration starts a flow. */
export function userRegisteredEvent(user: User, topic: string): OutboxEvent {
  const metadata = newMetadata({ producer: PRODUCER, occurredAt: new Date(user.createdAt) });
  const event: UserRegistered = {
    metadata,
    userId: user.id,
    email: user.email,
    name: user.name,
    marketingConsent: user.marketingConsent,
    locale: user.locale,
  };
  return {
    eventId: metadata.eventId,
    aggregateId: user.id,
    topic,
    eventType: EventTypeNames.UserRegistered,
    payload: event as unknown as Record<string, unknown>,
  };
}

/**
 * The user's row in the user table topic (compacted, keyed by user id): what services that need
 * a user's address or existence read whole into a local view. Written in the same transaction
 * as the user, so the row exists exactly when the user does.
 */
export function userContactRow(user: User, topic: string): OutboxEvent {
  const metadata = newMetadata({ producer: PRODUCER, occurredAt: new Date(user.createdAt) });
  const row: UserContact = {
    metadata,
    userId: user.id,
    email: user.email,
    name: user.name,
    locale: user.locale,
    marketingConsent: user.marketingConsent,
  };
  return {
    eventId: metadata.eventId,
    aggregateId: user.id,
    topic,
    eventType: EventTypeNames.UserContact,
    payload: row as unknown as Record<string, unknown>,
  };
}
