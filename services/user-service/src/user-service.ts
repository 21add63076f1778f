import { defaultCatalog } from '@fanout/contracts';
import { createDomainRuntime } from '@fanout/service-kit';
import type { DomainRuntime } from '@fanout/service-kit';
import type { Logger, Telemetry } from '@fanout/telemetry';
import type { UserServiceConfig } from './config';
import { userRoutes } from './routes';
import { UserRepository } from './user-repository';

/** Wires user-service: its table and routes on top of the shared domain runtime. */
export async function createUserService(
  config: UserServiceConfig,
  logger: Logger,
  telemetry?: Telemetry,
): Promise<DomainRuntime> {
  const catalogTopic = defaultCatalog().topics.find((t) => t.name === 'fanout.user.events');
  const runtime = await createDomainRuntime({
    name: 'user-service',
    config,
    logger,
    telemetry,
    topics: [
      {
        name: config.USER_EVENTS_TOPIC,
        partitions: catalogTopic?.partitions ?? 6,
        config: catalogTopic?.config ?? {},
      },
    ],
  });
  const users = new UserRepository(runtime.db);
  userRoutes(runtime.app, {
    groupCommit: runtime.groupCommit,
    users,
    outbox: runtime.outbox,
    topic: config.USER_EVENTS_TOPIC,
  });
  return runtime;
}
