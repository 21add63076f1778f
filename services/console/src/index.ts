// In-process entry for tests and benchmarks (the service itself starts from main.ts).
export { ConsoleView, PAGE_SIZE } from './console-view';
export type { EventSummary, EventSearch, DeadLetterListRow, SagaRow } from './console-view';
export { projectRecord, topicRole, apiOfGroup } from './record-projection';
export type { ConsoleRecord, ConsoleTopics, ViewChange, TopicRole } from './record-projection';
export { consoleRoutes, API_KEY_COOKIE } from './console-routes';
export type { ConsoleRouteDeps } from './console-routes';
export { createConsoleService } from './console-service';
export type { ConsoleService } from './console-service';
export { loadConsoleConfig } from './config';
export type { ConsoleConfig } from './config';
