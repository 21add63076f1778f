import { metrics, type Meter, type MeterProvider } from '@opentelemetry/api';
import {
  CIRCUIT_STATE_VALUE,
  LATENCY_BUCKETS_SECONDS,
  METRIC,
  SAGA_BUCKETS_SECONDS,
  type CircuitState,
} from './metric-names';

export type ProcessingOutcome = 'success' | 'retry' | 'dead_letter' | 'skipped';

export interface ConsumerLabels {
  consumerGroup: string;
  topic: string;
}

/**
 * Typed recorders for the standard Fanout metrics. Label names are fixed here so every service
 * produces the same series; label values must be bounded (topics, apis, outcomes, status codes),
 * never ids.
 */
export interface FanoutMetrics {
  consumerLag(labels: ConsumerLabels & { partition: number }, lag: number): void;
  processingDuration(
    labels: ConsumerLabels & { eventType?: string; outcome: ProcessingOutcome },
    seconds: number,
  ): void;
  retry(labels: ConsumerLabels & { errorCode: string }): void;
  deadLetter(labels: ConsumerLabels & { errorCode: string }): void;
  outboxBacklog(labels: { outbox: string }, rows: number): void;
  /** `status` is the HTTP status code, or `timeout`, `network_error`, `circuit_open`. */
  apiCallDuration(labels: { api: string; status: number | string }, seconds: number): void;
  circuitState(labels: { api: string }, state: CircuitState): void;
  sagaFinished(labels: { saga: string; outcome: string }, seconds: number): void;
}

/** Builds the recorders on a given meter (tests pass their own MeterProvider's meter). */
export function createFanoutMetrics(meter: Meter): FanoutMetrics {
  const lag = meter.createGauge(METRIC.consumerLag, {
    description: 'Offsets still to read after the last fetched batch, per partition',
    unit: '{message}',
  });
  const processing = meter.createHistogram(METRIC.processingDuration, {
    description: 'Time to handle one message, from receipt to a settled outcome',
    unit: 's',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS },
  });
  const retries = meter.createCounter(METRIC.retries, {
    description: 'Handler attempts scheduled for retry',
  });
  const deadLetters = meter.createCounter(METRIC.deadLetters, {
    description: 'Records sent to a dead-letter topic',
  });
  const outbox = meter.createGauge(METRIC.outboxBacklog, {
    description: 'Outbox rows stored but not yet published',
    unit: '{row}',
  });
  const apiCalls = meter.createHistogram(METRIC.apiCallDuration, {
    description: 'Downstream API call latency by api and status',
    unit: 's',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS },
  });
  const circuit = meter.createGauge(METRIC.circuitState, {
    description: 'Circuit-breaker state per api: 0 closed, 1 half-open, 2 open',
  });
  const sagas = meter.createCounter(METRIC.sagas, {
    description: 'Sagas that reached a terminal state, by outcome',
  });
  const sagaDuration = meter.createHistogram(METRIC.sagaDuration, {
    description: 'Saga start to terminal state, by outcome',
    unit: 's',
    advice: { explicitBucketBoundaries: SAGA_BUCKETS_SECONDS },
  });

  return {
    consumerLag: ({ consumerGroup, topic, partition }, value) =>
      lag.record(value, { consumer_group: consumerGroup, topic, partition }),
    processingDuration: ({ consumerGroup, topic, eventType, outcome }, seconds) =>
      processing.record(seconds, {
        consumer_group: consumerGroup,
        topic,
        outcome,
        ...(eventType ? { event_type: eventType } : {}),
      }),
    retry: ({ consumerGroup, topic, errorCode }) =>
      retries.add(1, { consumer_group: consumerGroup, topic, error_code: errorCode }),
    deadLetter: ({ consumerGroup, topic, errorCode }) =>
      deadLetters.add(1, { consumer_group: consumerGroup, topic, error_code: errorCode }),
    outboxBacklog: ({ outbox: name }, rows) => outbox.record(rows, { outbox: name }),
    apiCallDuration: ({ api, status }, seconds) =>
      apiCalls.record(seconds, { api, status: String(status) }),
    circuitState: ({ api }, state) => circuit.record(CIRCUIT_STATE_VALUE[state], { api }),
    sagaFinished: ({ saga, outcome }, seconds) => {
      sagas.add(1, { saga, outcome });
      sagaDuration.record(seconds, { saga, outcome });
    },
  };
}

let cached: { provider: MeterProvider; recorders: FanoutMetrics } | undefined;

/**
 * The recorders on the global MeterProvider. Safe to call before `startTelemetry` (records go
 * nowhere), and re-bound once telemetry starts: the metrics API has no proxy provider, so
 * instruments created before registration would stay no-ops forever if we cached them blindly.
 */
export function fanoutMetrics(): FanoutMetrics {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    cached = { provider, recorders: createFanoutMetrics(provider.getMeter('@fanout/telemetry')) };
  }
  return cached.recorders;
}
