import { StockLevels } from './apis/inventory';
import type { DeclineRule } from './apis/payment';
import { EffectsRecord } from './effects-record';
import { API_NAMES, applyFaults, faultsInputSchema, noFaults } from './faults';
import type { ApiName, Faults, FaultsInputArg } from './faults';
import { IdempotencyStore } from './idempotency-store';
import { RequestLog } from './request-log';

/**
 * Everything the sandbox remembers, in memory: faults per API, idempotency keys, the effects
 * record, recent requests, payment decline rules, inventory stock, and each API's resources
 * (through the reset hooks the API modules register).
 */
export class SandboxState {
  readonly idempotency: IdempotencyStore;
  readonly effects = new EffectsRecord();
  readonly requests = new RequestLog();
  readonly stock = new StockLevels();
  declineRules: DeclineRule[] = [];
  private readonly faults = new Map<ApiName, Faults>();
  private readonly resetHooks = new Map<ApiName, () => void>();

  constructor(maxIdempotencyKeys?: number) {
    this.idempotency = new IdempotencyStore(maxIdempotencyKeys);
    for (const api of API_NAMES) this.faults.set(api, noFaults());
  }

  faultsOf(api: ApiName): Faults {
    return this.faults.get(api)!;
  }

  /** `replace`: PUT semantics (unset fields go back to no fault); otherwise PATCH. */
  setFaults(api: ApiName, input: FaultsInputArg, replace = false): Faults {
    // Parsed here too, so in-process callers get the same defaults and checks as the admin API.
    const parsed = faultsInputSchema.parse(input);
    const next = applyFaults(replace ? noFaults() : this.faultsOf(api), parsed, Date.now());
    this.faults.set(api, next);
    return next;
  }

  clearFaults(api?: ApiName): void {
    for (const name of api ? [api] : API_NAMES) this.faults.set(name, noFaults());
  }

  onReset(api: ApiName, hook: () => void): void {
    this.resetHooks.set(api, hook);
  }

  /** Back to a fresh sandbox: for one API, or everything. */
  reset(api?: ApiName): void {
    this.clearFaults(api);
    for (const name of api ? [api] : API_NAMES) this.resetHooks.get(name)?.();
    this.effects.clear(api);
    this.requests.clear(api);
    if (!api || api === 'payment') this.declineRules = [];
    if (!api || api === 'inventory') this.stock.clear();
    // Keys are scoped per API, but one map holds them all; a full reset is the common case.
    if (!api) this.idempotency.clear();
  }
}
