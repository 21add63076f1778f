import { describe, expect, it } from 'vitest';
import { ConfigError } from '@fanout/service-kit';
import { loadShippingConsumerConfig } from './config';

const valid = {
  SHIPPING_API_URL: 'http://127.0.0.1:4000/shipping',
  SHIPPING_API_KEY: 'sk_test_0123456789',
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadShippingConsumerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('shipping-consumer config', () => {
  it('defaults to port 3107, the catalog topics and its own consumer group', () => {
    const config = loadShippingConsumerConfig(valid);
    expect(config.PORT).toBe(3107);
    expect(config.SHIPPING_COMMANDS_TOPIC).toBe('fanout.shipping.commands');
    expect(config.SAGA_REPLIES_TOPIC).toBe('fanout.saga.replies');
    expect(config.CONSUMER_GROUP_ID).toBe('shipping-consumer');
    expect(config.downstream.baseUrl).toBe('http://127.0.0.1:4000/shipping');
  });

  it('refuses a bad base URL, naming SHIPPING_API_URL and not echoing the value', () => {
    const error = refusal({ ...valid, SHIPPING_API_URL: 'not a url secret-ish' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['SHIPPING_API_URL']);
    expect(error.message).not.toContain('secret-ish');
  });

  it('refuses a missing credential, naming SHIPPING_API_KEY', () => {
    const error = refusal({ SHIPPING_API_URL: valid.SHIPPING_API_URL });
    expect(error.message).toContain('SHIPPING_API_KEY');
  });

  it('refuses a bad topic name, naming the variable', () => {
    const error = refusal({ ...valid, SHIPPING_COMMANDS_TOPIC: 'bad topic!' });
    expect(error.issues.map((issue) => issue.variable)).toContain('SHIPPING_COMMANDS_TOPIC');
  });
});
