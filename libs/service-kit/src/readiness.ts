/** What a readiness check reports: ok, and a short reason an operator can act on. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult & { critical: boolean }>;
}

/**
 * The checks behind `/readyz`. Each runs with a deadline, so one hung dependency makes the
 * service not ready instead of making the probe hang.
 */
export class ReadinessChecks {
  private readonly checks = new Map<string, { check: ReadinessCheck; critical: boolean }>();

  constructor(private readonly timeoutMs = 2_000) {}

  /**
   * A non-critical check is reported but does not make the service unready: e.g. Kafka, for a
   * service whose promise is to keep accepting writes while Kafka is down.
   */
  add(name: string, check: ReadinessCheck, options: { critical?: boolean } = {}): void {
    this.checks.set(name, { check, critical: options.critical ?? true });
  }

  async run(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(
        async ([name, { check, critical }]) =>
          [name, { ...(await this.runOne(check)), critical }] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, r]) => r.ok || !r.critical), checks };
  }

  private async runOne(check: ReadinessCheck): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${this.timeoutMs} ms` }),
          this.timeoutMs,
        );
      });
      return await Promise.race([Promise.resolve().then(check), timeout]);
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
