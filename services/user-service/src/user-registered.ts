import { EventTypeNames, newMetadata } from '@fanout/contracts';
import type { UserRegistered } from '@fanout/contracts';
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
