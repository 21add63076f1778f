import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import {
  consumerSettings,
  kafkaConsumerConfig,
  type ConsumerRuntimeOptions,
} from './consumer-options';
import { compileRetryPolicy } from './retry-policy';

function options(overrides: Partial<ConsumerRuntimeOptions> = {}): ConsumerRuntimeOptions {
  return {
    kafka: {} as Kafka,
    groupId: 'email',
    topics: ['fanout.user.events'],
    codec: {
      encode: async () => Buffer.alloc(0),
      decode: async () => ({ eventType: 'X', value: {}, schemaId: 1 }),
    },
    handler: async () => undefined,
    ...overrides,
  };
}

describe('consumerSettings', () => {
  it('applies the documented defaults', () => {
    const settings = consumerSettings(options(), compileRetryPolicy('email'));
    expect(settings).toMatchObject({
      perPartition: 50,
      maxPending: 1_000,
      commitIntervalMs: 1_000,
      revokeDrainMs: 10_000,
      heartbeatInterval: 3_000,
      heartbeatEveryMs: 1_500,
    });
  });

  it('bounds pending offsets by 20 × perPartition once that exceeds 1,000', () => {
    const settings = consumerSettings(
      options({ concurrency: { perPartition: 100 } }),
      compileRetryPolicy('email'),
    );
    expect(settings.maxPending).toBe(2_000);
  });

  it('refuses a pending bound below the in-flight bound', () => {
    expect(() =>
      consumerSettings(
        options({ concurrency: { perPartition: 10, maxPendingPerPartition: 5 } }),
        compileRetryPolicy('email'),
      ),
    ).toThrow(RangeError);
  });

  it('heartbeats at half the heartbeat interval, never more often than every 100 ms', () => {
    const policy = compileRetryPolicy('email');
    const fast = consumerSettings(options({ consumer: { heartbeatInterval: 150 } }), policy);
    expect(fast.heartbeatEveryMs).toBe(100);
    const slow = consumerSettings(options({ consumer: { heartbeatInterval: 5_001 } }), policy);
    expect(slow.heartbeatEveryMs).toBe(2_500);
  });

  it('consumes the source topics, then every retry tier', () => {
    const settings = consumerSettings(
      options({ topics: ['a', 'b'] }),
      compileRetryPolicy('email', { tiers: [1_000, 5_000] }),
    );
    expect(settings.allTopics).toEqual(['a', 'b', 'email.retry.1', 'email.retry.2']);
  });
});

describe('kafkaConsumerConfig', () => {
  it('keeps the caller settings but not its group id or heartbeat default', () => {
    const opts = options({ consumer: { sessionTimeout: 45_000, maxWaitTimeInMs: 50 } });
    const config = kafkaConsumerConfig(opts, consumerSettings(opts, compileRetryPolicy('email')));
    expect(config).toEqual({
      maxWaitTimeInMs: 50,
      sessionTimeout: 45_000,
      heartbeatInterval: 3_000,
      groupId: 'email',
    });
  });

  it('waits at most 500 ms per fetch unless told otherwise', () => {
    const opts = options();
    const config = kafkaConsumerConfig(opts, consumerSettings(opts, compileRetryPolicy('email')));
    expect(config.maxWaitTimeInMs).toBe(500);
  });
});
