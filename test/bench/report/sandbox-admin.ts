import { FANOUT_APIS } from './bench-settings';
import type { FanoutApi } from './bench-settings';

interface EffectsReport {
  totals: {
    effects: number;
    keys: number;
    duplicateKeys: number;
    subjects: number;
    duplicateSubjects: number;
  };
  keys: Array<{ api: string; idempotencyKey: string; subjects: string[]; effects: number }>;
}

/** What the sandbox recorded for one API against the registrations that were accepted. */
export interface ApiDeliveryCheck {
  api: FanoutApi;
  /** Accepted registrations this API has an effect for. */
  delivered: number;
  /** Accepted registrations it has no effect for. */
  missing: number;
  /** Registrations with more than one effect (a side effect repeated). */
  duplicated: number;
  /** Effects whose idempotency key acted more than once (the sandbox's own count). */
  duplicateKeys: number;
  /** Effects in the record, all registrations (including any not accepted). */
  effects: number;
  /** The record listed fewer keys than it holds (limit 100,000): the check is partial. */
  truncated: boolean;
}

export interface DeliveryCheck {
  accepted: number;
  /** Accepted registrations with an effect at every one of the four APIs. */
  fullyDelivered: number;
  lost: number;
  duplicated: number;
  perApi: ApiDeliveryCheck[];
  method: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const LIST_LIMIT = 100_000;

/** The sandbox's admin API (`/_admin`): latencies, reset, the effects record. */
export class SandboxAdmin {
  constructor(private readonly baseUrl: string) {}

  /**
   * One admin call. An overloaded sandbox can refuse connections for a while (its accept
   * queue full of consumer connections): network failures are retried, 5 attempts over ~30 s.
   */
  private async send(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response | undefined;
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
        if (attempt >= 5)
          throw new Error(
            `sandbox ${method} ${path} did not answer after ${attempt} attempts: ${reason}`,
          );
        await new Promise((r) => setTimeout(r, 2_000 * attempt));
      }
    }
    const text = await response.text();
    if (!response.ok)
      throw new Error(
        `sandbox ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    return JSON.parse(text) as unknown;
  }

  /** Forgets resources, keys, effects and requests of every API, and clears faults. */
  async reset(): Promise<void> {
    await this.send('POST', '/_admin/reset');
  }

  /** Fixed latency per API (the admin faults API). */
  async setLatencies(latencies: Record<FanoutApi, number>): Promise<void> {
    await this.send(
      'PATCH',
      '/_admin/faults',
      Object.fromEntries(
        Object.entries(latencies).map(([api, ms]) => [api, { latency: { type: 'fixed', ms } }]),
      ),
    );
  }

  async resetWithLatencies(latencies: Record<FanoutApi, number>): Promise<void> {
    await this.reset();
    await this.setLatencies(latencies);
  }

  /** Effects recorded per API (cheap: totals only). */
  async effectCounts(): Promise<Record<FanoutApi, number>> {
    const entries = await Promise.all(
      FANOUT_APIS.map(async (api) => {
        const report = (await this.send(
          'GET',
          `/_admin/effects?api=${api}&limit=1`,
        )) as EffectsReport;
        return [api, report.totals.effects] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<FanoutApi, number>;
  }

  /**
   * Checks every accepted registration against the effects record of each API: the user id
   * appears in the effect's subject (`welcome:<id>`, `<id>`, `User Registered:<id>:<ts>`,
   * `user:<id>`). Missing means lost; more than one effect means a duplicated side effect.
   */
  async checkDeliveries(acceptedUserIds: ReadonlySet<string>): Promise<DeliveryCheck> {
    const perUser = new Map<string, number>();
    const perApi: ApiDeliveryCheck[] = [];
    for (const api of FANOUT_APIS) {
      const report = (await this.send(
        'GET',
        `/_admin/effects?api=${api}&limit=${LIST_LIMIT}`,
      )) as EffectsReport;
      const counts = new Map<string, number>();
      for (const key of report.keys) {
        const userId = key.subjects.map((s) => UUID.exec(s)?.[0]).find(Boolean);
        if (userId && acceptedUserIds.has(userId))
          counts.set(userId, (counts.get(userId) ?? 0) + key.effects);
      }
      let duplicated = 0;
      for (const [userId, n] of counts) {
        if (n > 1) duplicated += 1;
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      }
      perApi.push({
        api,
        delivered: counts.size,
        missing: acceptedUserIds.size - counts.size,
        duplicated,
        duplicateKeys: report.totals.duplicateKeys,
        effects: report.totals.effects,
        truncated: report.totals.keys > report.keys.length,
      });
    }
    const fullyDelivered = [...perUser.values()].filter((n) => n === FANOUT_APIS.length).length;
    return {
      accepted: acceptedUserIds.size,
      fullyDelivered,
      lost: acceptedUserIds.size - fullyDelivered,
      duplicated: perApi.reduce((n, a) => n + a.duplicated, 0),
      perApi,
      method:
        "sandbox GET /_admin/effects per API: each accepted user id must appear in exactly one effect's subject",
    };
  }
}
