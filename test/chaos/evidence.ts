import { API_KEY } from './chaos-system';
import type { ChaosSystem } from './chaos-system';
import { readDeadLetters } from './dead-letters';
import type { DeadLetter } from './dead-letters';
import { TERMINAL_STATUSES } from './invariants';
import type { EvidenceSources, OrderOutcome } from './invariants';
import { SandboxAdmin } from './sandbox-admin';

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width)
    await Promise.all(items.slice(i, i + width).map(work));
}

/**
 * Where the invariants read the system: the sandbox's effects record, order-service's
 * GET /orders/:id (a terminal state is final, so it is read once), and the dead-letter topics
 * (minus the records that were there before this run started: `baseline`).
 */
export function chaosEvidence(
  system: ChaosSystem,
  baseline: ReadonlySet<string> = new Set(),
): EvidenceSources {
  const sandbox = new SandboxAdmin(system.url('sandbox-apis', ''));
  const outcomes = new Map<string, OrderOutcome>();
  const kafka = system.kafka('chaos-dead-letter-reader');
  return {
    effects: () => sandbox.effects(),
    async orders(ids) {
      const open = ids.filter(
        (id) => !(TERMINAL_STATUSES as readonly string[]).includes(outcomes.get(id)?.status ?? ''),
      );
      await inBatches(open, 16, async (id) => {
        try {
          const response = await fetch(system.url('order-service', `/orders/${id}`), {
            headers: { 'x-api-key': API_KEY },
            signal: AbortSignal.timeout(10_000),
          });
          if (response.status !== 200) {
            await response.body?.cancel();
            outcomes.set(id, { status: `HTTP ${response.status}` });
            return;
          }
          const body = (await response.json()) as {
            status: string;
            cancellationReason: { code: string } | null;
          };
          outcomes.set(id, {
            status: body.status,
            cancellationCode: body.cancellationReason?.code ?? null,
          });
        } catch (error) {
          outcomes.set(id, { status: `unreadable: ${(error as Error).message}` });
        }
      });
      return outcomes;
    },
    async deadLetters(): Promise<DeadLetter[]> {
      const all = await readDeadLetters(kafka);
      return all.filter((d) => !baseline.has(deadLetterId(d)));
    },
  };
}

export function deadLetterId(d: Pick<DeadLetter, 'topic' | 'partition' | 'offset'>): string {
  return `${d.topic}/${d.partition}/${d.offset}`;
}
