import { describe, expect, it } from 'vitest';
import { renderStatus } from './stack';

describe('stack status rendering', () => {
  it('marks each component and service, says whose process it is, and sums up health', () => {
    const text = renderStatus({
      profile: 'default',
      healthy: false,
      endpoints: {
        kafkaBrokers: ['127.0.0.1:9092'],
        schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
        otlpHttpUrl: 'http://127.0.0.1:4318',
        otlpGrpcUrl: 'http://127.0.0.1:4317',
        jaegerQueryUrl: 'http://127.0.0.1:16686',
      },
      components: [
        { name: 'kafka-1', pid: 42, healthy: true, detail: '1 broker(s) at 127.0.0.1:9092' },
        { name: 'registry', healthy: false, detail: 'fetch failed' },
      ],
      services: [
        { name: 'user-service', pid: 7, healthy: true, detail: 'http://127.0.0.1:3001/readyz' },
      ],
    });
    expect(text.split('\n')).toEqual([
      'stack "default": NOT healthy',
      '  ✔ kafka-1       pid 42  1 broker(s) at 127.0.0.1:9092',
      '  ✘ registry      not ours  fetch failed',
      '  ✔ user-service  pid 7  http://127.0.0.1:3001/readyz',
    ]);
  });
});
