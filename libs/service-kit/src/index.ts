export { loadConfig, ConfigError } from './config';
export type { ConfigIssue } from './config';
export { env } from './common-env';
export { createHttpServer } from './http-server';
export type { HttpServer, HttpServerOptions } from './http-server';
export {
  ProblemError,
  buildProblem,
  problemType,
  statusTitle,
  PROBLEM_CONTENT_TYPE,
} from './problem';
export type { FieldError, ProblemDetails } from './problem';
export { toFieldErrors, fieldPath } from './validation-errors';
export type { SchemaValidationIssue } from './validation-errors';
export { createApiKeyVerifier, presentedApiKey, cookieValue } from './api-key-auth';
export type { ApiKeyVerdict } from './api-key-auth';
export { ReadinessChecks } from './readiness';
export type { CheckResult, ReadinessCheck, ReadinessReport } from './readiness';
export { GaugeRegistry } from './metrics-endpoint';
export type { MetricsEndpoint } from './metrics-endpoint';
export { kafkaReachable } from './kafka-probe';
export { idempotency } from './idempotency-plugin';
export type { IdempotencyHandle, IdempotencyPluginOptions } from './idempotency-plugin';
export type { IdempotencyStore, IdempotencyRecord, Reservation } from './idempotency-store';
export { SqliteIdempotencyStore } from './sqlite-idempotency-store';
export type { SqliteIdempotencyStoreOptions } from './sqlite-idempotency-store';
export { canonicalJson, requestFingerprint } from './request-fingerprint';
export { openDatabase, isUniqueViolation } from './database';
export type { SqliteDatabase, OpenDatabaseOptions } from './database';
export { GroupCommit } from './group-commit';
export type { GroupCommitOptions } from './group-commit';
export { SqliteOutbox } from './outbox-store';
export type { OutboxEvent, OutboxRow } from './outbox-store';
export { OutboxRelay } from './outbox-relay';
export type {
  OutboxPublisher,
  OutboxRelayHooks,
  OutboxRelayOptions,
  OutboxRelayStatus,
} from './outbox-relay';
export { outboxPublisherFor } from './event-publisher-outbox';
export type { BatchEventPublisher } from './event-publisher-outbox';
export { captureTraceContext, restoreTraceContext } from './trace-context';
export type { StoredTraceContext } from './trace-context';
export { backoffDelay } from './backoff';
export type { BackoffPolicy } from './backoff';
export { GracefulShutdown } from './graceful-shutdown';
export type { Closer, GracefulShutdownOptions } from './graceful-shutdown';
export { kafkaLogCreator } from './kafka-log';
export { crashPointHooks } from './relay-crash-points';
export type { RelayCrashPoint } from './relay-crash-points';
export { domainServiceEnv } from './domain-env';
export type { DomainServiceConfig } from './domain-env';
export { createDomainRuntime } from './domain-runtime';
export type { DomainRuntime, DomainRuntimeOptions } from './domain-runtime';
export { kafkaPublishedEventFinder } from './kafka-published-events';
export type { PublishedEventFinder } from './kafka-published-events';
export { kafkaSecurityEnv, withKafkaSecurity, loadKafkaSecurity } from './kafka-security-env';
export type { WithKafkaSecurity } from './kafka-security-env';
export { GlobalTable } from './global-table';
export type { GlobalTableOptions, GlobalTableStats } from './global-table';
export { GlobalTableStore } from './global-table-store';
export type { TableChange } from './global-table-store';
export { BoundedMap, boundedMemo } from './bounded-map';
