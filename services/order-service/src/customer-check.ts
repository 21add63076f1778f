import { EventTypeNames } from '@fanout/contracts';
import { GlobalTable, ProblemError } from '@fanout/service-kit';
import type { GlobalTableOptions } from '@fanout/service-kit';

/** What order-service keeps of a user: that the user exists. */
export interface Customer {
  userId: string;
}

/** Decides whether an order's customer is a registered user. */
export interface CustomerCheck {
  /** Resolves when the customer is known; throws a 422 (unknown) or a 503 (view behind). */
  requireKnown(customerId: string): Promise<void>;
}

/** The customers view: order-service's global table of the user table topic. */
export function customersTable(
  options: Omit<GlobalTableOptions<Customer>, 'name' | 'project'>,
): GlobalTable<Customer> {
  return new GlobalTable<Customer>({
    ...options,
    name: 'customers',
    project: (value, eventType) =>
      eventType === EventTypeNames.UserContact
        ? { userId: (value as { userId: string }).userId }
        : undefined,
  });
}

/** What the owner of the users says of one id: it exists, it does not, or no answer. */
export type OwnerAnswer = 'known' | 'unknown' | 'unavailable';

/** Asks the owner of the users (user-service) about one id. */
export type CustomerOwner = (customerId: string) => Promise<OwnerAnswer>;

/**
 * The check against the view. A customer the view lacks is waited for up to `waitMs`: a
 * registration accepted a moment ago is on the user table topic within the user-service relay's
 * poll interval, so it is found, not refused. After the wait: 422 naming `customerId` when the
 * view is caught up (the user does not exist as far as the topic knows), 503 with Retry-After
 * while the view is still catching up (a false 422 would refuse a real customer). With an
 * `owner`, a miss after the wait is asked there instead: user-service may have accepted the
 * registration and not published it yet (registry or Kafka down); its answer decides, and no
 * answer is a 503.
 */
export function customerCheck(
  table: Pick<GlobalTable<Customer>, 'lookup' | 'caughtUp'>,
  waitMs: number,
  owner?: CustomerOwner,
): CustomerCheck {
  return {
    async requireKnown(customerId) {
      if ((await table.lookup(customerId, waitMs)) !== undefined) return;
      const answer = owner ? await owner(customerId) : undefined;
      if (answer === 'known') return;
      if (answer === 'unavailable') {
        throw new ProblemError(
          503,
          'customers-unavailable',
          'The customer cannot be checked now: the view does not know it yet and user-service does not answer. Retry shortly.',
          { headers: { 'retry-after': '2' } },
        );
      }
      if (answer === undefined && !table.caughtUp) {
        throw new ProblemError(
          503,
          'customers-view-catching-up',
          'Customers cannot be checked yet: the service is still reading the user table. Retry shortly.',
          { headers: { 'retry-after': '2' } },
        );
      }
      throw new ProblemError(422, 'unknown-customer', 'The order names no registered customer.', {
        errors: [{ field: 'customerId', message: 'is not a registered user' }],
      });
    },
  };
}

/** The check when CUSTOMER_CHECK=off: every customer id is taken as is. */
export const noCustomerCheck: CustomerCheck = { requireKnown: async () => undefined };
