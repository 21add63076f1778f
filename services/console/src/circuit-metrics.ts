import { CIRCUIT_STATE_VALUE, METRIC } from '@fanout/telemetry';
import type { CircuitState } from '@fanout/telemetry';

const NAMES = Object.fromEntries(
  Object.entries(CIRCUIT_STATE_VALUE).map(([name, value]) => [value, name as CircuitState]),
) as Record<number, CircuitState>;

/**
 * Breaker state per API from a consumer's Prometheus text (`fanout_circuit_state{api="crm"} 2`):
 * the gauge's value names the state (0 closed, 1 half-open, 2 open).
 */
export function circuitStates(metricsText: string): Record<string, CircuitState | 'unknown'> {
  const out: Record<string, CircuitState | 'unknown'> = {};
  const line = new RegExp(`^${METRIC.circuitState}\\{([^}]*)\\}\\s+([-\\d.eE+]+)`);
  for (const text of metricsText.split('\n')) {
    const match = line.exec(text);
    if (!match) continue;
    const api = /(?:^|,)\s*api="([^"]*)"/.exec(match[1]!)?.[1];
    if (!api) continue;
    out[api] = NAMES[Number(match[2])] ?? 'unknown';
  }
  return out;
}
