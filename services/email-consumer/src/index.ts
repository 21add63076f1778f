// In-process entry for tests and benchmarks.
export { emailConsumer } from './email-consumer';
export { emailHandlers } from './mapping';
export type { EmailPorts } from './mapping';
export { loadEmailConsumerConfig } from './config';
export type { EmailConsumerConfig } from './config';
export { recipientsView } from './recipients-view';
export type { Recipient, RecipientLookup } from './recipients-view';
