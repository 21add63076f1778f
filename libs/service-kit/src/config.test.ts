import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './config';
import { domainServiceEnv } from './domain-env';

const schema = z.object(domainServiceEnv(3001));

describe('loadConfig', () => {
  it('compiles defaults and comma-separated lists into a typed config', () => {
    const config = loadConfig(schema, {
      API_KEYS: 'key-aaaaaaaaaaaa, key-bbbbbbbbbbbb',
      KAFKA_BROKERS: 'a:9092,b:9093',
    });
    expect(config).toMatchObject({
      PORT: 3001,
      HOST: '127.0.0.1',
      API_KEYS: ['key-aaaaaaaaaaaa', 'key-bbbbbbbbbbbb'],
      KAFKA_BROKERS: ['a:9092', 'b:9093'],
      SQLITE_SYNCHRONOUS: 'NORMAL',
    });
    expect(config.OUTBOX_TEST_CRASH_POINT).toBeUndefined();
  });

  it('names every bad variable and why, without echoing the values', () => {
    let error: unknown;
    try {
      loadConfig(schema, {
        PORT: 'eighty',
        KAFKA_BROKERS: 'no-port',
        API_KEYS: 'short',
        SQLITE_SYNCHRONOUS: 'sometimes',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('FANOUT_CONFIG_INVALID');
    expect(configError.issues.map((i) => i.variable).sort()).toEqual([
      'API_KEYS',
      'KAFKA_BROKERS',
      'PORT',
      'SQLITE_SYNCHRONOUS',
    ]);
    expect(configError.message).toContain('PORT: Expected number');
    expect(configError.message).toContain('KAFKA_BROKERS: item 1: expected host:port');
    expect(configError.message).not.toContain('short');
  });

  it('says a required variable is missing, and treats an empty value as unset', () => {
    expect(() => loadConfig(schema, { API_KEYS: '' })).toThrow(/API_KEYS: is required/);
  });
});
