import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createKafkaClient,
  describeKafkaSecurity,
  kafkaClientConfig,
  redactedKafkaSecurity,
} from './kafka-client';
import type { KafkaSecurity } from './kafka-client';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const base = { clientId: 'test', brokers: ['127.0.0.1:9092'], connectionTimeout: 3_000 };
const scram: KafkaSecurity = {
  protocol: 'SASL_SSL',
  sasl: { mechanism: 'scram-sha-512', username: 'fanout', password: 's3cret-pw' },
  tls: { ca: [CA], rejectUnauthorized: true, sources: { caFile: '/x/ca.pem' } },
};

describe('kafkaClientConfig', () => {
  it('PLAINTEXT (and no security at all) sets neither ssl nor sasl, and keeps the other options', () => {
    for (const config of [
      kafkaClientConfig(base),
      kafkaClientConfig({ ...base, security: { protocol: 'PLAINTEXT' } }),
    ]) {
      expect(config).toEqual(base);
      expect(config).not.toHaveProperty('ssl');
      expect(config).not.toHaveProperty('sasl');
    }
  });

  it('SASL_SSL maps to kafkajs ssl with the CA and sasl with mechanism, username and password', () => {
    const config = kafkaClientConfig({ ...base, security: scram });
    expect(config.ssl).toEqual({ ca: [CA], rejectUnauthorized: true });
    expect(config.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'fanout',
      password: 's3cret-pw',
    });
    expect(config.brokers).toEqual(base.brokers);
  });

  it('SASL_PLAINTEXT uses SASL without TLS', () => {
    const config = kafkaClientConfig({
      ...base,
      security: {
        protocol: 'SASL_PLAINTEXT',
        sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
      },
    });
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' });
  });

  it('SSL with a client certificate passes cert, key and passphrase to TLS, and no SASL', () => {
    const config = kafkaClientConfig({
      ...base,
      security: {
        protocol: 'SSL',
        tls: { cert: 'CERT', key: 'KEY', passphrase: 'pp', rejectUnauthorized: false },
      },
    });
    expect(config.ssl).toEqual({
      cert: 'CERT',
      key: 'KEY',
      passphrase: 'pp',
      rejectUnauthorized: false,
    });
    expect(config.sasl).toBeUndefined();
  });

  it('SSL without TLS settings verifies the broker against the default roots', () => {
    expect(kafkaClientConfig({ ...base, security: { protocol: 'SSL' } }).ssl).toEqual({
      rejectUnauthorized: true,
    });
  });

  it('refuses settings that contradict the protocol', () => {
    const sasl = { mechanism: 'plain' as const, username: 'u', password: 'p' };
    expect(() => kafkaClientConfig({ ...base, security: { protocol: 'SASL_SSL' } })).toThrow(
      /SASL_SSL needs SASL credentials/,
    );
    expect(() => kafkaClientConfig({ ...base, security: { protocol: 'PLAINTEXT', sasl } })).toThrow(
      /does not use SASL/,
    );
    expect(() =>
      kafkaClientConfig({
        ...base,
        security: { protocol: 'SASL_PLAINTEXT', sasl, tls: { rejectUnauthorized: true } },
      }),
    ).toThrow(/does not use TLS/);
    expect(() =>
      kafkaClientConfig({
        ...base,
        security: { protocol: 'SSL', tls: { cert: 'CERT', rejectUnauthorized: true } },
      }),
    ).toThrow(/needs its key/);
    expect(() =>
      kafkaClientConfig({
        ...base,
        security: { protocol: 'SASL_SSL', sasl: { ...sasl, password: '' } },
      }),
    ).toThrow(/needs a SASL password/);
  });

  it('createKafkaClient builds a kafkajs client from the same mapping', () => {
    const kafka = createKafkaClient({ ...base, security: scram });
    expect(typeof kafka.admin).toBe('function');
    expect(() => createKafkaClient({ ...base, security: { protocol: 'SASL_SSL' } })).toThrow();
  });
});

describe('redacted security settings', () => {
  it('the summary names protocol, mechanism, user and CA file, never the password', () => {
    const summary = describeKafkaSecurity(scram);
    expect(summary).toEqual({
      protocol: 'SASL_SSL',
      sasl: { mechanism: 'scram-sha-512', username: 'fanout', password: '[redacted]' },
      tls: { ca: '/x/ca.pem', clientCertificate: 'none', rejectUnauthorized: true },
    });
  });

  it('a marked setting logs (JSON, inspect) as the summary but still works as a setting', () => {
    const security = redactedKafkaSecurity(structuredClone(scram));
    const config = { KAFKA_BROKERS: ['b:1'], kafkaSecurity: security };
    for (const text of [JSON.stringify(config), inspect(config, { depth: 5 })]) {
      expect(text).not.toContain('s3cret-pw');
      expect(text).not.toContain('BEGIN CERTIFICATE');
      expect(text).toContain('[redacted]');
    }
    expect(JSON.stringify({ sasl: security.sasl })).not.toContain('s3cret-pw');
    expect(kafkaClientConfig({ ...base, security }).sasl).toMatchObject({ password: 's3cret-pw' });
  });
});
