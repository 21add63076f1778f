/**
 * One HTTP attempt to a downstream API, as the call ledger records it. "What did we send to
 * the CRM for order X" is answered by these records, so every attempt is reported: the
 * successes, the retries and the final failures. Never holds credentials or request bodies.
 */
export interface CallAttempt {
  api: string;
  operation: string;
  /** The Idempotency-Key sent, if the operation is a write. */
  idempotencyKey: string | undefined;
  /** HTTP status, or undefined when no answer came (network error, timeout, circuit open). */
  status: number | undefined;
  /** The HTTP exchange, request sent to answer read; excludes local queueing. */
  latencyMs: number;
  /** 1-based attempt number within the call. */
  attempt: number;
  /** The W3C trace id active for the call, if any. */
  traceId: string | undefined;
  /**
   * success: the call is done. retry: this attempt failed and another will follow.
   * failed: this attempt failed and was the last one (the call throws).
   */
  outcome: 'success' | 'retry' | 'failed';
  /** The FanoutError code when the attempt failed. */
  errorCode: string | undefined;
  /** Epoch ms when the request went out (after any wait for a token or a bulkhead slot). */
  startedAt: number;
}

/**
 * Where attempts go. The consumer services implement it by publishing an Avro audit event to
 * the audit topic; `record` must not block the call path (buffer and publish asynchronously),
 * and a ledger failure must never fail the API call it describes.
 */
export interface CallLedger {
  record(attempt: CallAttempt): void | Promise<void>;
}

/** Hook signature the client calls after every attempt. */
export type OnAttempt = (attempt: CallAttempt) => void;
