import { describe, expect, it } from 'vitest';
import { downstreamTarget } from './downstream-target';

describe('downstreamTarget', () => {
  it('resolves the base URL and the key from the environment', () => {
    const target = downstreamTarget(
      { CRM_API_URL: 'http://127.0.0.1:4000/crm/', CRM_API_KEY: 'sk_test_123' },
      'CRM',
    );
    expect(target.baseUrl).toBe('http://127.0.0.1:4000/crm');
    expect(target.credential.reveal()).toBe('sk_test_123');
  });

  it.each([
    [{}, 'CRM_API_URL is missing'],
    [{ CRM_API_URL: 'not a url', CRM_API_KEY: 'k' }, 'CRM_API_URL is not a URL'],
    [{ CRM_API_URL: 'ftp://host/crm', CRM_API_KEY: 'k' }, 'CRM_API_URL must be'],
    [{ CRM_API_URL: 'http://user:sk_secret@host/crm', CRM_API_KEY: 'k' }, 'CRM_API_URL must be'],
    [{ CRM_API_URL: 'http://host/crm' }, 'CRM_API_KEY is missing'],
  ])('refuses a bad environment naming the variable: %j', (env, message) => {
    let thrown: unknown;
    try {
      downstreamTarget(env, 'CRM');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'FANOUT_CONFIG_INVALID' });
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).not.toContain('sk_secret');
  });
});
