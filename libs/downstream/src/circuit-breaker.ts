import { EventEmitter } from 'node:events';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Names the breaker in events and errors, usually the API name. */
  name: string;
  /** Opens after this many failures in a row. 0 disables the rule. */
  consecutiveFailures?: number;
  /**
   * Opens when, within the last `windowMs`, at least `minimumCalls` finished and the share of
   * failures reached `threshold` (0..1). Catches an API failing one call in two, which the
   * consecutive rule never sees.
   */
  failureRate?: { threshold: number; minimumCalls: number; windowMs: number } | null;
  /** How long the circuit stays open before it lets probes through. */
  openDurationMs?: number;
  /** Calls let through at once while half-open. */
  halfOpenProbes?: number;
  /** Successful probes needed to close again. */
  halfOpenSuccesses?: number;
}

export interface CircuitStateChange {
  name: string;
  from: CircuitState;
  to: CircuitState;
  reason: string;
  at: number;
}

/** The outcome of one admitted call. Exactly one method should be called, once. */
export interface CircuitPermit {
  /** The API answered as an API should (2xx, or a 4xx that is the caller's fault). */
  success(): void;
  /** The API failed: network error, timeout, 5xx. */
  failure(): void;
  /** The call never reached the API (e.g. cancelled): counts neither way. */
  neutral(): void;
}

interface Bucket {
  start: number;
  calls: number;
  failures: number;
}

const BUCKETS = 10;

/**
 * A circuit breaker per API: closed → open on too many failures, open → half-open after
 * `openDurationMs` (by timer, so a consumer that paused on `open` hears `half_open` and
 * resumes), half-open → closed after enough successful probes, or back to open on any failed
 * probe. Emits `stateChange` with a {@link CircuitStateChange}.
 *
 * Calls beyond the probe budget while half-open are refused like calls while open: a caller
 * never waits on a breaker.
 */
export class CircuitBreaker extends EventEmitter<{ stateChange: [CircuitStateChange] }> {
  readonly name: string;
  private readonly consecutiveLimit: number;
  private readonly rate: { threshold: number; minimumCalls: number; windowMs: number } | null;
  private readonly openDurationMs: number;
  private readonly probeLimit: number;
  private readonly successesToClose: number;

  private current: CircuitState = 'closed';
  private consecutive = 0;
  private buckets: Bucket[] = [];
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private openedAt = 0;
  private halfOpenTimer: NodeJS.Timeout | undefined;

  constructor(options: CircuitBreakerOptions) {
    super();
    this.name = options.name;
    this.consecutiveLimit = options.consecutiveFailures ?? 5;
    this.rate = options.failureRate ?? null;
    this.openDurationMs = options.openDurationMs ?? 10_000;
    this.probeLimit = Math.max(1, options.halfOpenProbes ?? 1);
    this.successesToClose = Math.max(1, options.halfOpenSuccesses ?? 1);
    if (this.rate && (this.rate.threshold <= 0 || this.rate.threshold > 1)) {
      throw new RangeError('circuit breaker: failureRate.threshold must be in (0, 1]');
    }
  }

  get state(): CircuitState {
    return this.current;
  }

  /** When an open circuit will let probes through (epoch ms), or undefined unless open. */
  get retryAt(): number | undefined {
    return this.current === 'open' ? this.openedAt + this.openDurationMs : undefined;
  }

  /** Admits a call, or returns undefined when the circuit refuses it. */
  tryAcquire(): CircuitPermit | undefined {
    if (this.current === 'open') return undefined;
    if (this.current === 'half_open') {
      if (this.probesInFlight >= this.probeLimit) return undefined;
      this.probesInFlight += 1;
      return this.permit(true);
    }
    return this.permit(false);
  }

  /** Forces the circuit closed and forgets history (operators, tests). */
  reset(): void {
    this.consecutive = 0;
    this.buckets = [];
    this.transition('closed', 'reset');
  }

  /** Stops the half-open timer; call when the client closes. */
  dispose(): void {
    if (this.halfOpenTimer) clearTimeout(this.halfOpenTimer);
    this.halfOpenTimer = undefined;
  }

  private permit(probe: boolean): CircuitPermit {
    let settled = false;
    const settle = (outcome: 'success' | 'failure' | 'neutral') => {
      if (settled) return;
      settled = true;
      if (probe) this.probesInFlight -= 1;
      this.record(outcome, probe);
    };
    return {
      success: () => settle('success'),
      failure: () => settle('failure'),
      neutral: () => settle('neutral'),
    };
  }

  private record(outcome: 'success' | 'failure' | 'neutral', probe: boolean): void {
    if (outcome === 'neutral') return;
    if (probe) {
      // A probe's verdict only counts while we are still half-open; a late answer from a
      // probe admitted before a reset must not reopen a closed circuit.
      if (this.current !== 'half_open') return;
      if (outcome === 'failure') {
        this.open('half-open probe failed');
      } else {
        this.probeSuccesses += 1;
        if (this.probeSuccesses >= this.successesToClose) {
          this.consecutive = 0;
          this.buckets = [];
          this.transition('closed', `${this.probeSuccesses} half-open probe(s) succeeded`);
        }
      }
      return;
    }
    if (this.current !== 'closed') return;
    this.countInWindow(outcome === 'failure');
    if (outcome === 'success') {
      this.consecutive = 0;
      return;
    }
    this.consecutive += 1;
    if (this.consecutiveLimit > 0 && this.consecutive >= this.consecutiveLimit) {
      this.open(`${this.consecutive} consecutive failures`);
      return;
    }
    if (this.rate) {
      const { calls, failures } = this.windowTotals();
      if (calls >= this.rate.minimumCalls && failures / calls >= this.rate.threshold) {
        this.open(`failure rate ${failures}/${calls} in ${this.rate.windowMs} ms`);
      }
    }
  }

  private countInWindow(failed: boolean): void {
    if (!this.rate) return;
    const now = Date.now();
    const width = Math.max(1, Math.floor(this.rate.windowMs / BUCKETS));
    const start = now - (now % width);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.start !== start) {
      last = { start, calls: 0, failures: 0 };
      this.buckets.push(last);
      const oldest = now - this.rate.windowMs;
      while (this.buckets.length > 0 && this.buckets[0]!.start + width <= oldest) {
        this.buckets.shift();
      }
    }
    last.calls += 1;
    if (failed) last.failures += 1;
  }

  private windowTotals(): { calls: number; failures: number } {
    if (!this.rate) return { calls: 0, failures: 0 };
    const width = Math.max(1, Math.floor(this.rate.windowMs / BUCKETS));
    const oldest = Date.now() - this.rate.windowMs;
    let calls = 0;
    let failures = 0;
    for (const bucket of this.buckets) {
      if (bucket.start + width <= oldest) continue;
      calls += bucket.calls;
      failures += bucket.failures;
    }
    return { calls, failures };
  }

  private open(reason: string): void {
    this.openedAt = Date.now();
    this.probeSuccesses = 0;
    this.transition('open', reason);
    if (this.halfOpenTimer) clearTimeout(this.halfOpenTimer);
    this.halfOpenTimer = setTimeout(() => {
      this.halfOpenTimer = undefined;
      if (this.current !== 'open') return;
      this.probeSuccesses = 0;
      this.probesInFlight = 0;
      this.transition('half_open', `open for ${this.openDurationMs} ms`);
    }, this.openDurationMs);
    // A breaker must never keep a process alive on its own.
    this.halfOpenTimer.unref?.();
  }

  private transition(to: CircuitState, reason: string): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    if (to !== 'open' && this.halfOpenTimer) {
      clearTimeout(this.halfOpenTimer);
      this.halfOpenTimer = undefined;
    }
    this.emit('stateChange', { name: this.name, from, to, reason, at: Date.now() });
  }
}
