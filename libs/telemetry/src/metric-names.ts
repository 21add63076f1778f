// The metric names every service and lib records under, in one place so dashboards, alerts and
// code agree. Names are final Prometheus names: counters end in `_total`, durations are seconds.

export const METRIC = {
  /** Gauge: messages behind the log end, per consumer group, topic and partition. */
  consumerLag: 'fanout_consumer_lag',
  /** Histogram (s): one message or batch through the handler, by outcome. */
  processingDuration: 'fanout_processing_duration_seconds',
  /** Counter: handler attempts scheduled for retry. */
  retries: 'fanout_retries_total',
  /** Counter: records sent to a dead-letter topic. */
  deadLetters: 'fanout_dead_letters_total',
  /** Gauge: outbox rows stored but not yet published. */
  outboxBacklog: 'fanout_outbox_backlog',
  /** Histogram (s): downstream API call latency, by api and status. */
  apiCallDuration: 'fanout_api_call_duration_seconds',
  /** Gauge: circuit-breaker state per api: 0 closed, 1 half-open, 2 open. */
  circuitState: 'fanout_circuit_state',
  /** Counter: sagas that reached a terminal state, by outcome. */
  sagas: 'fanout_sagas_total',
  /** Histogram (s): saga start to terminal state, by outcome. */
  sagaDuration: 'fanout_saga_duration_seconds',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Handler and API latencies: 5 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30,
];

/** Sagas wait for several APIs and retries: 50 ms to 10 min. */
export const SAGA_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export const CIRCUIT_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
export type CircuitState = keyof typeof CIRCUIT_STATE_VALUE;
