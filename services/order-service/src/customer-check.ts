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

/**
 * The check against the view. A customer the view lacks is waited for up to `waitMs`: a
 * registration accepted a moment ago is on the user table topic within the user-service relay's
 * poll interval, so it is found, not refused. After the wait: 422 naming `customerId` when the
 * view is caught up (the user does not exist as far as the topic knows), 503 with Retry-After
 * while the view is still catching up (a false 422 would refuse a real customer).
 */
export function customerCheck(
  table: Pick<GlobalTable<Customer>, 'lookup' | 'caughtUp'>,
  waitMs: number,
): CustomerCheck {
  return {
    async requireKnown(customerId) {
      if ((await table.lookup(customerId, waitMs)) !== undefined) return;
      if (!table.caughtUp) {
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
