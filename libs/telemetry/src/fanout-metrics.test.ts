import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createFanoutMetrics, fanoutMetrics } from './fanout-metrics';
import { METRIC } from './metric-names';

async function scrape(reader: PrometheusExporter): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  return new PrometheusSerializer().serialize(resourceMetrics);
}

function setup() {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  return { reader, provider };
}

afterEach(() => metrics.disable());

describe('standard Fanout metrics', () => {
  it('appear in the Prometheus text under their agreed names and labels', async () => {
    const { reader, provider } = setup();
    const m = createFanoutMetrics(provider.getMeter('test'));
    const consumer = { consumerGroup: 'crm-consumer', topic: 'users' };
    m.consumerLag({ ...consumer, partition: 3 }, 17);
    m.processingDuration({ ...consumer, eventType: 'UserRegistered', outcome: 'success' }, 0.12);
    m.retry({ ...consumer, errorCode: 'FANOUT_API_TIMEOUT' });
    m.retry({ ...consumer, errorCode: 'FANOUT_API_TIMEOUT' });
    m.deadLetter({ ...consumer, errorCode: 'FANOUT_API_CLIENT_ERROR' });
    m.outboxBacklog({ outbox: 'user-service' }, 4);
    m.apiCallDuration({ api: 'crm', status: 503 }, 0.3);
    m.circuitState({ api: 'crm' }, 'open');
    m.sagaFinished({ saga: 'order', outcome: 'cancelled' }, 2.5);

    const text = await scrape(reader);
    expect(text).toMatch(
      /^fanout_consumer_lag\{consumer_group="crm-consumer",topic="users",partition="3",.*\} 17$/m,
    );
    expect(text).toMatch(
      /^fanout_processing_duration_seconds_count\{consumer_group="crm-consumer",topic="users",outcome="success",event_type="UserRegistered",.*\} 1$/m,
    );
    expect(text).toMatch(/^fanout_retries_total\{.*error_code="FANOUT_API_TIMEOUT".*\} 2$/m);
    expect(text).toMatch(/^fanout_dead_letters_total\{.*\} 1$/m);
    expect(text).toMatch(/^fanout_outbox_backlog\{outbox="user-service",.*\} 4$/m);
    expect(text).toMatch(
      /^fanout_api_call_duration_seconds_bucket\{api="crm",status="503",.*le="0.3"\} 1$/m,
    );
    expect(text).toMatch(/^fanout_circuit_state\{api="crm",.*\} 2$/m);
    expect(text).toMatch(/^fanout_sagas_total\{saga="order",outcome="cancelled",.*\} 1$/m);
    expect(text).toMatch(/^fanout_saga_duration_seconds_sum\{saga="order",.*\} 2.5$/m);
    // Counters already carry `_total`: the exporter must not append it twice.
    expect(text).not.toContain('_total_total');
    for (const name of Object.values(METRIC)) expect(text).toContain(`# TYPE ${name}`);
    await provider.shutdown();
  });

  it('fanoutMetrics() rebinds to the global MeterProvider once telemetry registers one', async () => {
    fanoutMetrics().retry({ consumerGroup: 'g', topic: 't', errorCode: 'E' }); // no provider: no-op
    const { reader, provider } = setup();
    metrics.setGlobalMeterProvider(provider);
    fanoutMetrics().retry({ consumerGroup: 'g', topic: 't', errorCode: 'E' });
    expect(await scrape(reader)).toMatch(/^fanout_retries_total\{.*\} 1$/m);
    await provider.shutdown();
  });
});
