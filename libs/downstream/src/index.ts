export { DownstreamClient } from './client';
export type { CallOptions, CallResult, DownstreamClientOptions, HttpMethod } from './client';
export { compileRetryPolicy, decideRetry } from './retry-policy';
export type { RetryDecision, RetryPolicy, RetryPolicyOptions } from './retry-policy';
export { backoffCeiling, fullJitterDelay } from './backoff';
export type { BackoffOptions } from './backoff';
export { parseRetryAfter } from './retry-after';
export { CircuitBreaker } from './circuit-breaker';
export type {
  CircuitBreakerOptions,
  CircuitPermit,
  CircuitState,
  CircuitStateChange,
} from './circuit-breaker';
export { TokenBucket } from './token-bucket';
export type { TokenBucketOptions } from './token-bucket';
export { Bulkhead } from './bulkhead';
export type { BulkheadOptions } from './bulkhead';
export { idempotencyKey } from './idempotency-key';
export {
  claimSelfTracedOrigin,
  isSelfTracedOrigin,
  SELF_TRACED_ORIGINS_KEY,
} from './self-traced-origins';
export { Batcher } from './batcher';
export type { BatchItemResult, BatcherOptions } from './batcher';
export { Secret, loadCredential } from './credentials';
export type { CredentialSource } from './credentials';
export type { CallAttempt, CallLedger, OnAttempt } from './call-ledger';
export { EmailApi } from './apis/email-api';
export type { EmailMessage, SendMessageInput } from './apis/email-api';
export { CrmApi } from './apis/crm-api';
export type { ContactInput, CrmContact, CrmDeal, DealInput, DealStage } from './apis/crm-api';
export { AnalyticsApi } from './apis/analytics-api';
export type { TrackInput, TrackResult } from './apis/analytics-api';
export { SearchApi } from './apis/search-api';
export type { SearchItemResult, SearchOperation } from './apis/search-api';
export { InventoryApi } from './apis/inventory-api';
export type { ReserveOutcome } from './apis/inventory-api';
export { PaymentApi } from './apis/payment-api';
export type { AuthorizeOutcome } from './apis/payment-api';
export { ShippingApi } from './apis/shipping-api';
export type { ShipmentInput } from './apis/shipping-api';
export { downstreamTarget } from './downstream-target';
export type { DownstreamTarget } from './downstream-target';
export { pauseWhileCircuitOpen } from './circuit-pause-binding';
export type { Pausable } from './circuit-pause-binding';
