import { defaultCatalog } from '@fanout/contracts';
import { createDomainRuntime } from '@fanout/service-kit';
import type { DomainRuntime } from '@fanout/service-kit';
import type { Logger, Telemetry } from '@fanout/telemetry';
import type { UserServiceConfig } from './config';
import { backfillUserContacts } from './contacts-backfill';
import { userRoutes } from './routes';
import { UserRepository } from './user-repository';

/** Wires user-service: its table and routes on top of the shared domain runtime. */
export async function createUserService(
  config: UserServiceConfig,
  logger: Logger,
  telemetry?: Telemetry,
): Promise<DomainRuntime> {
  const catalog = defaultCatalog();
  const spec = (catalogName: string, name: string) => {
    const topic = catalog.topics.find((t) => t.name === catalogName);
    return { name, partitions: topic?.partitions ?? 6, config: topic?.config ?? {} };
  };
  const runtime = await createDomainRuntime({
    name: 'user-service',
    config,
    logger,
    telemetry,
    topics: [
      spec('fanout.user.events', config.USER_EVENTS_TOPIC),
      spec('fanout.user.contacts', config.USER_CONTACTS_TOPIC),
    ],
  });
  const users = new UserRepository(runtime.db);
  const backfilled = backfillUserContacts(runtime.db, {
    users,
    outbox: runtime.outbox,
    contactsTopic: config.USER_CONTACTS_TOPIC,
  });
  if (backfilled > 0)
    logger.info({ users: backfilled }, 'user contacts backfilled to the user table topic');
  userRoutes(runtime.app, {
    groupCommit: runtime.groupCommit,
    users,
    outbox: runtime.outbox,
    topic: config.USER_EVENTS_TOPIC,
    contactsTopic: config.USER_CONTACTS_TOPIC,
  });
  return runtime;
}
