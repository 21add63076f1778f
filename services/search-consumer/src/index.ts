// In-process entry for tests and benchmarks.
export { searchConsumer } from './search-consumer';
export { searchHandlers, userDocumentId, orderDocumentId } from './mapping';
export type { SearchPorts } from './mapping';
export { loadSearchConsumerConfig } from './config';
export type { SearchConsumerConfig } from './config';
