import { timeOrderedUuid } from '@fanout/contracts';
import { ProblemError, isUniqueViolation } from '@fanout/service-kit';
import type { GroupCommit, IdempotencyHandle, SqliteOutbox } from '@fanout/service-kit';
import { canonicalLanguageTag } from './language-tag';
import type { RegisterUserRequest, User } from './user';
import type { UserRepository } from './user-repository';
import { userContactRow, userRegisteredEvent } from './user-registered';

export interface RegisterUserDeps {
  /** The domain runtime's group commit: the request is answered after its transaction commits. */
  groupCommit: GroupCommit;
  users: UserRepository;
  outbox: SqliteOutbox;
  topic: string;
  /** The user table topic (compacted): the user's UserContact row goes there too. */
  contactsTopic: string;
}

/** The locale in canonical BCP 47 form ('en' when absent), or a 400 naming `locale`. */
function localeOf(request: RegisterUserRequest): string {
  if (request.locale === undefined) return 'en';
  const locale = canonicalLanguageTag(request.locale);
  if (locale === undefined) {
    throw new ProblemError(400, 'validation-failed', 'The request is not valid.', {
      errors: [
        { field: 'locale', message: 'must be a BCP 47 language tag, e.g. en, pt-BR, zh-Hant-TW' },
      ],
    });
  }
  return locale;
}

/**
 * Registers a user: the user row, its UserRegistered and UserContact outbox rows and the idempotent response
 * commit in one transaction (shared with the other requests of this turn through the group
 * commit, in a savepoint of its own), and the promise resolves only after that commit, so a
 * 201 always means "stored and will be published". The locale is stored and published in its
 * canonical form (`pt-br` → `pt-BR`).
 */
export async function registerUser(
  deps: RegisterUserDeps,
  request: RegisterUserRequest,
  idempotency: IdempotencyHandle | undefined,
): Promise<User> {
  const locale = localeOf(request);
  const user: User = {
    // Time-ordered: the id is the primary key of its table (see timeOrderedUuid).
    id: timeOrderedUuid(),
    email: request.email.trim(),
    name: request.name.trim(),
    marketingConsent: request.marketingConsent ?? false,
    locale,
    createdAt: new Date().toISOString(),
  };
  try {
    await deps.groupCommit.run(() => {
      deps.users.insert(user);
      deps.outbox.append(userRegisteredEvent(user, deps.topic));
      deps.outbox.append(userContactRow(user, deps.contactsTopic));
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
