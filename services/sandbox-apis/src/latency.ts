import { z } from 'zod';

export const latencySchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('fixed'), ms: z.number().min(0) }).strict(),
    z
      .object({ type: z.literal('uniform'), minMs: z.number().min(0), maxMs: z.number().min(0) })
      .strict(),
    z
      .object({ type: z.literal('normal'), meanMs: z.number().min(0), stddevMs: z.number().min(0) })
      .strict(),
  ])
  .refine((v) => v.type !== 'uniform' || v.maxMs >= v.minMs, 'maxMs must be >= minMs');

export type LatencyDistribution = z.infer<typeof latencySchema>;

/** One latency sample in ms (never negative; a normal distribution is clipped at 0). */
export function sampleLatency(
  distribution: LatencyDistribution | undefined,
  random: () => number = Math.random,
): number {
  if (!distribution) return 0;
  switch (distribution.type) {
    case 'fixed':
      return distribution.ms;
    case 'uniform':
      return distribution.minMs + random() * (distribution.maxMs - distribution.minMs);
    case 'normal': {
      // Box–Muller; 1 - random() keeps the log away from 0.
      const u = 1 - random();
      const v = random();
      const z0 = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, distribution.meanMs + z0 * distribution.stddevMs);
    }
    default:
      return 0;
  }
}
