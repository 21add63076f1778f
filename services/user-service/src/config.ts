import type { z } from 'zod';
import { domainServiceEnv, env, loadConfig, withKafkaSecurity } from '@fanout/service-kit';

const schema = withKafkaSecurity({
  ...domainServiceEnv(3001),
  /** Where UserRegistered goes; the catalog's topic unless a test isolates itself. */
  USER_EVENTS_TOPIC: env.topic('fanout.user.events'),
  /** Where each user's current UserContact goes (compacted): the user table as a topic. */
  USER_CONTACTS_TOPIC: env.topic('fanout.user.contacts'),
});

export type UserServiceConfig = z.output<typeof schema>;

/** The one place user-service reads the environment. */
export function loadUserServiceConfig(source: NodeJS.ProcessEnv = process.env): UserServiceConfig {
  return loadConfig(schema, source);
}
