import { describe, expect, it } from 'vitest';
import { ConfigError } from '@fanout/service-kit';
import { loadPaymentConsumerConfig } from './config';

const valid = {
  PAYMENT_API_URL: 'http://127.0.0.1:4000/payment',
  PAYMENT_API_KEY: 'sk_test_0123456789',
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadPaymentConsumerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('payment-consumer config', () => {
  it('defaults to port 3106, the catalog topics and its own consumer group', () => {
    const config = loadPaymentConsumerConfig(valid);
    expect(config.PORT).toBe(3106);
    expect(config.PAYMENT_COMMANDS_TOPIC).toBe('fanout.payment.commands');
    expect(config.SAGA_REPLIES_TOPIC).toBe('fanout.saga.replies');
    expect(config.CONSUMER_GROUP_ID).toBe('payment-consumer');
    expect(config.downstream.baseUrl).toBe('http://127.0.0.1:4000/payment');
  });

  it('refuses a bad base URL, naming PAYMENT_API_URL and not echoing the value', () => {
    const error = refusal({ ...valid, PAYMENT_API_URL: 'not a url secret-ish' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['PAYMENT_API_URL']);
    expect(error.message).not.toContain('secret-ish');
  });

  it('refuses a missing credential, naming PAYMENT_API_KEY', () => {
    const error = refusal({ PAYMENT_API_URL: valid.PAYMENT_API_URL });
    expect(error.message).toContain('PAYMENT_API_KEY');
  });

  it('refuses a bad topic name, naming the variable', () => {
    const error = refusal({ ...valid, PAYMENT_COMMANDS_TOPIC: 'bad topic!' });
    expect(error.issues.map((issue) => issue.variable)).toContain('PAYMENT_COMMANDS_TOPIC');
  });
});
