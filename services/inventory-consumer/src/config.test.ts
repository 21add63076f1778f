import { describe, expect, it } from 'vitest';
import { ConfigError } from '@fanout/service-kit';
import { loadInventoryConsumerConfig } from './config';

const valid = {
  INVENTORY_API_URL: 'http://127.0.0.1:4000/inventory',
  INVENTORY_API_KEY: 'sk_test_0123456789',
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadInventoryConsumerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('inventory-consumer config', () => {
  it('defaults to port 3105, the catalog topics and its own consumer group', () => {
    const config = loadInventoryConsumerConfig(valid);
    expect(config.PORT).toBe(3105);
    expect(config.INVENTORY_COMMANDS_TOPIC).toBe('fanout.inventory.commands');
    expect(config.SAGA_REPLIES_TOPIC).toBe('fanout.saga.replies');
    expect(config.CONSUMER_GROUP_ID).toBe('inventory-consumer');
    expect(config.downstream.baseUrl).toBe('http://127.0.0.1:4000/inventory');
  });

  it('refuses a bad base URL, naming INVENTORY_API_URL and not echoing the value', () => {
    const error = refusal({ ...valid, INVENTORY_API_URL: 'not a url secret-ish' });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['INVENTORY_API_URL']);
    expect(error.message).not.toContain('secret-ish');
  });

  it('refuses a missing credential, naming INVENTORY_API_KEY', () => {
    const error = refusal({ INVENTORY_API_URL: valid.INVENTORY_API_URL });
    expect(error.message).toContain('INVENTORY_API_KEY');
  });

  it('refuses a bad topic name, naming the variable', () => {
    const error = refusal({ ...valid, INVENTORY_COMMANDS_TOPIC: 'bad topic!' });
    expect(error.issues.map((issue) => issue.variable)).toContain('INVENTORY_COMMANDS_TOPIC');
  });
});
