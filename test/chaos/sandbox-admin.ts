/**
 * The sandbox APIs' admin endpoints the suite uses (services/sandbox-apis README, "Admin API"):
 * faults per API, the payment decline rules, and the effects record.
 */

/** One idempotency key's record at the sandbox: what it changed, and how many times. */
export interface EffectKey {
  api: string;
  idempotencyKey: string;
  operations: string[];
  subjects: string[];
  effects: number;
}

export interface EffectsReport {
  totals: {
    effects: number;
    keys: number;
    duplicateKeys: number;
    subjects: number;
    duplicateSubjects: number;
  };
  keys: EffectKey[];
}

export type FaultsPatch = Record<string, Record<string, unknown>>;

async function admin<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`sandbox admin ${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export class SandboxAdmin {
  constructor(private readonly base: string) {}

  /** PATCH /_admin/faults: merges faults into several APIs at once (`null` clears a field). */
  async patchFaults(faults: FaultsPatch): Promise<void> {
    await admin(this.base, 'PATCH', '/_admin/faults', faults);
  }

  /** Clears every fault of every API the suite touches. */
  async clearFaults(apis: readonly string[]): Promise<void> {
    await Promise.all(apis.map((api) => admin(this.base, 'DELETE', `/_admin/apis/${api}/faults`)));
  }

  async setDeclineRules(rules: Array<Record<string, unknown>>): Promise<void> {
    await admin(this.base, 'PUT', '/_admin/payment/decline-rules', { rules });
  }

  /** Every key the sandbox recorded (the totals are never limited; the list is, at 100,000). */
  async effects(): Promise<EffectsReport> {
    const report = await admin<EffectsReport>(this.base, 'GET', '/_admin/effects?limit=100000');
    if (report.keys.length < report.totals.keys)
      throw new Error(
        `the sandbox holds ${report.totals.keys} keys, more than one report lists (${report.keys.length})`,
      );
    return report;
  }
}
