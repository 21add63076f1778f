/** The stored outcome of the first request made with an Idempotency-Key. */
export interface IdempotencyRecord {
  fingerprint: string;
  /** Null while the first request is still being processed. */
  status: number | null;
  contentType: string | null;
  body: string | null;
}

export type Reservation = { reserved: true } | { reserved: false; record: IdempotencyRecord };

/**
 * Where Idempotency-Key outcomes live. `reserve` must be atomic: of two concurrent requests
 * with the same key, exactly one gets `reserved: true`.
 */
export interface IdempotencyStore {
  reserve(scope: string, key: string, fingerprint: string): Reservation;
  /** Stores the response; with SQLite, call it inside the entity's transaction. */
  complete(scope: string, key: string, status: number, contentType: string, body: string): void;
  /** Forgets an in-progress reservation, so a retry can run the request again (after a 5xx). */
  release(scope: string, key: string): void;
}
