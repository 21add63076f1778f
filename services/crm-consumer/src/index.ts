// In-process entry for tests and benchmarks.
export { crmConsumer } from './crm-consumer';
export { crmHandlers } from './mapping';
export { loadCrmConsumerConfig } from './config';
export type { CrmConsumerConfig } from './config';
