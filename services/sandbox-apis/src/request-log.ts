/** One request as the sandbox saw it, for tests that check timing (429 storms, retries). */
export interface LoggedRequest {
  at: number;
  api: string;
  method: string;
  path: string;
  status: number;
  idempotencyKey: string | undefined;
  replayed: boolean;
  /** The fault injected into this request, if any. */
  fault: string | undefined;
  durationMs: number;
}

/** A bounded ring of recent requests per API, plus counts by status that never roll over. */
export class RequestLog {
  private readonly rings = new Map<string, LoggedRequest[]>();
  private readonly counts = new Map<string, Map<number, number>>();

  constructor(private readonly capacityPerApi = 20_000) {}

  add(entry: LoggedRequest): void {
    let ring = this.rings.get(entry.api);
    if (!ring) {
      ring = [];
      this.rings.set(entry.api, ring);
    }
    ring.push(entry);
    // Trim in chunks: shifting one element per request would be O(n) each time.
    if (ring.length > this.capacityPerApi * 1.25) ring.splice(0, ring.length - this.capacityPerApi);
    let byStatus = this.counts.get(entry.api);
    if (!byStatus) {
      byStatus = new Map();
      this.counts.set(entry.api, byStatus);
    }
    byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
  }

  list(filter: { api?: string; since?: number; limit: number }): LoggedRequest[] {
    const rings = filter.api ? [this.rings.get(filter.api) ?? []] : [...this.rings.values()];
    const all = rings.flat().filter((r) => filter.since === undefined || r.at >= filter.since);
    all.sort((a, b) => a.at - b.at);
    return all.slice(-filter.limit);
  }

  stats(api?: string): Record<string, { requests: number; byStatus: Record<string, number> }> {
    const result: Record<string, { requests: number; byStatus: Record<string, number> }> = {};
    for (const [name, byStatus] of this.counts) {
      if (api && name !== api) continue;
      let requests = 0;
      const statuses: Record<string, number> = {};
      for (const [status, count] of byStatus) {
        requests += count;
        statuses[String(status)] = count;
      }
      result[name] = { requests, byStatus: statuses };
    }
    return result;
  }

  clear(api?: string): void {
    if (!api) {
      this.rings.clear();
      this.counts.clear();
    } else {
      this.rings.delete(api);
      this.counts.delete(api);
    }
  }
}
