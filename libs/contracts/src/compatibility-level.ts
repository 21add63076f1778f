/** Schema compatibility levels, as the Confluent registry API names them. */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** Which directions a level checks, and whether against every earlier version or the last. */
export function compatibilityRules(level: CompatibilityLevel): {
  backward: boolean;
  forward: boolean;
  transitive: boolean;
} {
  return {
    backward: level.startsWith('BACKWARD') || level.startsWith('FULL'),
    forward: level.startsWith('FORWARD') || level.startsWith('FULL'),
    transitive: level.endsWith('_TRANSITIVE'),
  };
}
