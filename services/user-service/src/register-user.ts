import { randomUUID } from 'node:crypto';
import { ProblemError, isUniqueViolation } from '@fanout/service-kit';
import type { GroupCommit, IdempotencyHandle, SqliteOutbox } from '@fanout/service-kit';
import type { RegisterUserRequest, User } from './user';
import type { UserRepository } from './user-repository';
import { userRegisteredEvent } from './user-registered';

export interface RegisterUserDeps {
  /** The domain runtime's group commit: the request is answered after its transaction commits. */
  groupCommit: GroupCommit;
  users: UserRepository;
  outbox: SqliteOutbox;
  topic: string;
}

/**
 * Registers a user: the user row, its UserRegistered outbox row and the idempotent response
 * commit in one transaction (shared with the other requests of this turn through the group
 * commit, in a savepoint of its own), and the promise resolves only after that commit, so a
 * 201 always means "stored and will be published".
 */
export async function registerUser(
  deps: RegisterUserDeps,
  request: RegisterUserRequest,
  idempotency: IdempotencyHandle | undefined,
): Promise<User> {
  const user: User = {
    id: randomUUID(),
    email: request.email.trim(),
    name: request.name.trim(),
    marketingConsent: request.marketingConsent ?? false,
    locale: request.locale ?? 'en',
    createdAt: new Date().toISOString(),
  };
  try {
    await deps.groupCommit.run(() => {
      deps.users.insert(user);
      deps.outbox.append(userRegisteredEvent(user, deps.topic));
      idempotency?.complete(201, user);
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ProblemError(
        409,
        'email-already-registered',
        'A user with this email is already registered.',
        {
          errors: [{ field: 'email', message: 'is already registered' }],
        },
      );
    }
    throw error;
  }
  return user;
}
