import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { domainServiceEnv } from './domain-env';
import { loadKafkaSecurity, withKafkaSecurity } from './kafka-security-env';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const caFile = file('ca.pem', CA);
const passwordFile = file('password', 'from-a-file\n');

/** The ConfigError's issues as `VARIABLE: message` lines. */
function issues(source: NodeJS.ProcessEnv): string[] {
  try {
    loadKafkaSecurity(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.variable}: ${i.message}`);
  }
  throw new Error('expected the configuration to be refused');
}

describe('Kafka security configuration', () => {
  it('defaults to PLAINTEXT with nothing else', () => {
    expect(loadKafkaSecurity({})).toMatchObject({ protocol: 'PLAINTEXT' });
    expect(loadKafkaSecurity({}).sasl).toBeUndefined();
    expect(loadKafkaSecurity({}).tls).toBeUndefined();
  });

  it('SASL_SSL compiles the credentials, the CA from its file and certificate verification on', () => {
    const security = loadKafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'fanout',
      KAFKA_SASL_PASSWORD: 'pw-in-env',
      KAFKA_SSL_CA_FILE: caFile,
    });
    expect(security.protocol).toBe('SASL_SSL');
    expect(security.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'fanout',
      password: 'pw-in-env',
    });
    expect(security.tls?.ca).toEqual([CA]);
    expect(security.tls?.rejectUnauthorized).toBe(true);
  });

  it('reads the password from KAFKA_SASL_PASSWORD_FILE without its trailing newline; SCRAM-SHA-512 by default', () => {
    const security = loadKafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_USERNAME: 'fanout',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(security.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'fanout',
      password: 'from-a-file',
    });
    expect(security.tls).toBeUndefined();
  });

  it('KAFKA_SSL_REJECT_UNAUTHORIZED=false turns verification off', () => {
    const security = loadKafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    });
    expect(security.tls?.rejectUnauthorized).toBe(false);
  });

  it('a SASL protocol without username and password is refused, naming both variables', () => {
    expect(issues({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toEqual([
      'KAFKA_SASL_USERNAME: is required when KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      'KAFKA_SASL_PASSWORD: is required when KAFKA_SECURITY_PROTOCOL=SASL_SSL (or set KAFKA_SASL_PASSWORD_FILE)',
    ]);
  });

  it('SASL settings without a SASL protocol are refused', () => {
    expect(
      issues({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'fanout' }),
    ).toEqual([
      'KAFKA_SASL_MECHANISM: is set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL (use SASL_SSL or SASL_PLAINTEXT)',
      'KAFKA_SASL_USERNAME: is set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL (use SASL_SSL or SASL_PLAINTEXT)',
    ]);
  });

  it('TLS settings without a TLS protocol are refused', () => {
    expect(
      issues({
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SSL_CA_FILE: caFile,
      }),
    ).toEqual([
      'KAFKA_SSL_CA_FILE: is set, but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT does not use TLS (use SSL or SASL_SSL)',
    ]);
  });

  it('an unreadable CA file, a file that is no certificate and an empty password file are refused', () => {
    const missing = join(dir, 'nope.pem');
    expect(
      issues({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD_FILE: file('empty', '\n'),
        KAFKA_SSL_CA_FILE: missing,
      }),
    ).toEqual([
      `KAFKA_SASL_PASSWORD_FILE: ${join(dir, 'empty')} is empty`,
      `KAFKA_SSL_CA_FILE: cannot read ${missing} (ENOENT)`,
    ]);
    const notPem = file('not.pem', 'hello');
    expect(issues({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: notPem })).toEqual([
      `KAFKA_SSL_CA_FILE: ${notPem} holds no PEM certificate`,
    ]);
  });

  it('password and password file together, half a client key pair and unknown names are refused', () => {
    expect(
      issues({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
        KAFKA_SSL_CERT_FILE: caFile,
      }),
    ).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: is set together with KAFKA_SASL_PASSWORD: set one of them',
      'KAFKA_SSL_KEY_FILE: is required: a client certificate and its key go together',
    ]);
    expect(issues({ KAFKA_SECURITY_PROTOCOL: 'TLS' })[0]).toMatch(/^KAFKA_SECURITY_PROTOCOL: /);
    expect(
      issues({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      })[0],
    ).toMatch(/^KAFKA_SASL_MECHANISM: /);
  });

  it('never puts the password in an error message', () => {
    const text = issues({
      KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
      KAFKA_SASL_PASSWORD: 'do-not-print-me',
    }).join('\n');
    expect(text).toContain('KAFKA_SASL_PASSWORD');
    expect(text).not.toContain('do-not-print-me');
  });
});

describe('withKafkaSecurity', () => {
  const schema = withKafkaSecurity(domainServiceEnv(3001));
  const required = { API_KEYS: 'key-aaaaaaaaaaaa' };

  it('a service config carries kafkaSecurity instead of the raw variables', () => {
    const config = loadConfig(schema, {
      ...required,
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'fanout',
      KAFKA_SASL_PASSWORD: 'pw-in-env',
      KAFKA_SSL_CA_FILE: caFile,
    });
    expect(config.PORT).toBe(3001);
    expect(config.kafkaSecurity.sasl?.username).toBe('fanout');
    expect(config).not.toHaveProperty('KAFKA_SASL_PASSWORD');
    expect(config).not.toHaveProperty('KAFKA_SECURITY_PROTOCOL');
  });

  it('logging the whole config (JSON or inspect) shows a redacted summary, not the secret', () => {
    const config = loadConfig(schema, {
      ...required,
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'fanout',
      KAFKA_SASL_PASSWORD: 'pw-in-env',
      KAFKA_SSL_CA_FILE: caFile,
    });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 6 })]) {
      expect(text).not.toContain('pw-in-env');
      expect(text).not.toContain('MIIBfake');
      expect(text).toContain('[redacted]');
      expect(text).toContain(caFile);
    }
  });

  it('reports Kafka security problems together with the rest of the config', () => {
    expect(() => loadConfig(schema, { ...required, KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toThrow(
      /KAFKA_SASL_USERNAME: is required/,
    );
    expect(() => loadConfig(schema, { KAFKA_SECURITY_PROTOCOL: 'bogus' })).toThrow(
      /API_KEYS: is required[\s\S]*KAFKA_SECURITY_PROTOCOL/,
    );
  });
});
