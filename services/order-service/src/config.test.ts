import { ConfigError } from '@fanout/service-kit';
import { describe, expect, it } from 'vitest';
import { loadOrderServiceConfig } from './config';

const base = { API_KEYS: 'order-test-key-1' };

describe('loadOrderServiceConfig', () => {
  it('refuses USER_SERVICE_URL without USER_SERVICE_API_KEY, naming the missing variable', () => {
    let error: unknown;
    try {
      loadOrderServiceConfig({ ...base, USER_SERVICE_URL: 'http://127.0.0.1:3001' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['USER_SERVICE_API_KEY']);
  });

  it('refuses a USER_SERVICE_URL that is not a URL and an unknown CUSTOMER_CHECK', () => {
    let error: unknown;
    try {
      loadOrderServiceConfig({
        ...base,
        USER_SERVICE_URL: 'user-service',
        CUSTOMER_CHECK: 'maybe',
      });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual([
      'CUSTOMER_CHECK',
      'USER_SERVICE_URL',
    ]);
  });

  it('asks the view alone by default', () => {
    const config = loadOrderServiceConfig(base);
    expect(config.CUSTOMER_CHECK).toBe('view');
    expect(config.USER_SERVICE_URL).toBeUndefined();
  });
});
