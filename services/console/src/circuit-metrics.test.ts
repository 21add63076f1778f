import { describe, expect, it } from 'vitest';
import { circuitStates } from './circuit-metrics';

describe('circuit metrics', () => {
  it('reads the breaker state per api from Prometheus text', () => {
    const text = [
      '# HELP fanout_circuit_state Circuit-breaker state',
      '# TYPE fanout_circuit_state gauge',
      'fanout_circuit_state{api="crm",otel_scope_name="fanout"} 2',
      'fanout_circuit_state{api="email"} 0',
      'fanout_events_processed_total{api="crm"} 12',
    ].join('\n');
    expect(circuitStates(text)).toEqual({ crm: 'open', email: 'closed' });
  });
});
