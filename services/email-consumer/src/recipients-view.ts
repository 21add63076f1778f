import { EventTypeNames } from '@fanout/contracts';
import type { UserContact } from '@fanout/contracts';
import type { GlobalTableView } from '@fanout/consumer-kit';

/** Whom to write to: a user's address, name and locale. Personal data that never leaves. */
export interface Recipient {
  email: string;
  name: string;
  locale: string;
}

/** What the handlers need of the view: a row by user id, waiting a bounded time for it. */
export interface RecipientLookup {
  lookup(userId: string, waitMs: number): Promise<Recipient | undefined>;
}

/**
 * The email consumer's view of the user table topic (fanout.user.contacts): recipient by user
 * id. Every instance reads the whole topic, so an order finds its customer whichever instance
 * its partition landed on.
 */
export function recipientsView(topic: string): GlobalTableView<Recipient> {
  return {
    name: 'recipients',
    topic,
    catalogTopic: 'fanout.user.contacts',
    project: (value, eventType) => {
      if (eventType !== EventTypeNames.UserContact) return undefined;
      const contact = value as UserContact;
      return { email: contact.email, name: contact.name, locale: contact.locale };
    },
  };
}
