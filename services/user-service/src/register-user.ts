import { randomUUID } from 'node:crypto';
import { ProblemError, isUniqueViolation } from '@fanout/service-kit';
import type { IdempotencyHandle, SqliteDatabase, SqliteOutbox } from '@fanout/service-kit';
import type { RegisterUserRequest, User } from './user';
import type { UserRepository } from './user-repository';
import { userRegisteredEvent } from './user-registered';

export interface RegisterUserDeps {
  db: SqliteDatabase;
  users: UserRepository;
  outbox: SqliteOutbox;
  topic: string;
}

/**
 * Registers a user: the user row, its UserRegistered outbox row and the idempotent response
 * commit in one transaction, so a 201 always means "stored and will be published".
 */
export function registerUser(
  deps: RegisterUserDeps,
  request: RegisterUserRequest,
  idempotency: IdempotencyHandle | undefined,
): User {
  const user: User = {
    id: randomUUID(),
    email: request.email.trim(),
    name: request.name.trim(),
    marketingConsent: request.marketingConsent ?? false,
    locale: request.locale ?? 'en',
    createdAt: new Date().toISOString(),
  };
  try {
    deps.db.transaction(() => {
      deps.users.insert(user);
      deps.outbox.append(userRegisteredEvent(user, deps.topic));
      idempotency?.complete(201, user);
    })();
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
