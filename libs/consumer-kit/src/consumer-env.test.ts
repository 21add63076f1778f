import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '@fanout/service-kit';
import { consumerServiceEnv, loadConsumerConfig } from './consumer-env';

const schema = z.object(consumerServiceEnv({ port: 3102, groupId: 'crm-consumer' }));
const good = { CRM_API_URL: 'http://127.0.0.1:4000/crm/', CRM_API_KEY: 'sk_test_key' };

function issuesOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConsumerConfig(schema, 'CRM', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => i.variable);
    throw error;
  }
  return [];
}

describe('loadConsumerConfig', () => {
  it('compiles defaults, the API target and the retry tiers', () => {
    const config = loadConsumerConfig(schema, 'CRM', { ...good, RETRY_TIERS_MS: '100, 2000' });
    expect(config).toMatchObject({
      PORT: 3102,
      CONSUMER_GROUP_ID: 'crm-consumer',
      RETRY_TIERS_MS: [100, 2000],
      DEDUPE_ENABLED: true,
      CALL_LEDGER_TOPIC: 'fanout.audit.api-calls',
    });
    expect(config.downstream.baseUrl).toBe('http://127.0.0.1:4000/crm');
    expect(config.downstream.credential.reveal()).toBe('sk_test_key');
  });

  it('refuses a missing base URL and a missing key, naming each variable', () => {
    expect(issuesOf({ CRM_API_KEY: 'k' })).toEqual(['CRM_API_URL']);
    expect(issuesOf({ CRM_API_URL: 'http://127.0.0.1:4000/crm' })).toEqual(['CRM_API_KEY']);
  });

  it('refuses a URL that is not http(s) and reports schema problems in the same error', () => {
    expect(issuesOf({ ...good, CRM_API_URL: 'ftp://x/crm', PORT: 'eighty' })).toEqual([
      'PORT',
      'CRM_API_URL',
    ]);
  });

  it('never puts the key in the error message', () => {
    try {
      loadConsumerConfig(schema, 'CRM', { ...good, CRM_API_KEY_FILE: '/nope', PORT: '-1' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('CRM_API_KEY');
      expect((error as Error).message).not.toContain('sk_test_key');
    }
  });
});
