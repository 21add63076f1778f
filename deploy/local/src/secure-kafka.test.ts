import { describe, expect, it } from 'vitest';
import { clientEnv, scramFormatArgs, type SecureKafka } from './secure-kafka';
import { serviceCatalog, serviceEnv, withoutKafkaSecurityEnv } from './services';
import { compileTopology, endpointsOf } from './topology';

const secure: SecureKafka = {
  dir: '/s',
  caFile: '/s/ca.pem',
  brokerKeystoreFile: '/s/broker-keystore.pem',
  interBroker: { username: 'fanout-broker', password: 'broker-secret' },
  client: { username: 'fanout', password: 'client-secret', passwordFile: '/s/client.password' },
  envFile: '/s/client.env',
};

describe('secure stack material', () => {
  it('formats storage with both SCRAM users, and shows the command with the passwords masked', () => {
    const { args, shown } = scramFormatArgs(secure);
    expect(args).toEqual([
      '--add-scram',
      'SCRAM-SHA-512=[name=fanout-broker,password=broker-secret]',
      '--add-scram',
      'SCRAM-SHA-512=[name=fanout,password=client-secret]',
    ]);
    expect(shown.join(' ')).not.toMatch(/secret/);
    expect(shown).toContain('SCRAM-SHA-512=[name=fanout,password=***]');
  });

  it('gives services SASL_SSL with the password by file, never in the environment', () => {
    const env = clientEnv(secure);
    expect(env).toEqual({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'fanout',
      KAFKA_SASL_PASSWORD_FILE: '/s/client.password',
      KAFKA_SSL_CA_FILE: '/s/ca.pem',
    });
    expect(Object.values(env).join(' ')).not.toContain('client-secret');
  });

  it('every catalog service gets the security variables of a secure stack, and a shell’s are dropped', () => {
    const topology = compileTopology({ secure: true });
    const ctx = {
      endpoints: endpointsOf(topology),
      stateDir: topology.stateDir,
      portOffset: 0,
      kafkaSecurityEnv: clientEnv(secure),
    };
    for (const spec of serviceCatalog)
      expect(serviceEnv(spec, ctx), spec.name).toMatchObject(clientEnv(secure));
    expect(
      withoutKafkaSecurityEnv({
        PATH: '/bin',
        KAFKA_BROKERS: 'b:1',
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SSL_CA_FILE: '/x',
      }),
    ).toEqual({ PATH: '/bin', KAFKA_BROKERS: 'b:1' });
  });
});
