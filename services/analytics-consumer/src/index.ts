// In-process entry for tests and benchmarks.
export { analyticsConsumer } from './analytics-consumer';
export { analyticsHandlers } from './mapping';
export type { AnalyticsPorts } from './mapping';
export { loadAnalyticsConsumerConfig } from './config';
export type { AnalyticsConsumerConfig } from './config';
