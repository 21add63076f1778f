import { describe, expect, it } from 'vitest';
import { kafkaServerProperties } from './kafka-config';
import { compileTopology } from './topology';

function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

describe('kafkaServerProperties', () => {
  it('a single node replicates once and never auto-creates topics', () => {
    const t = compileTopology();
    const props = parse(
      kafkaServerProperties({ node: t.brokers[0]!, cluster: t.brokers, logDir: '/d' }),
    );
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:9093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(props['offsets.topic.replication.factor']).toBe('1');
    expect(props['auto.create.topics.enable']).toBe('false');
  });

  it('three nodes replicate three times and require two in-sync replicas', () => {
    const t = compileTopology({ brokers: 3 });
    const props = parse(
      kafkaServerProperties({ node: t.brokers[1]!, cluster: t.brokers, logDir: '/d' }),
    );
    expect(props['node.id']).toBe('2');
    expect(props['controller.quorum.voters']).toBe(
      '1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293',
    );
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:9192');
    expect(props['default.replication.factor']).toBe('3');
    expect(props['min.insync.replicas']).toBe('2');
    expect(props['transaction.state.log.min.isr']).toBe('2');
    expect(props['unclean.leader.election.enable']).toBe('false');
  });

  it('secure mode has only a SASL_SSL client listener, SCRAM-SHA-512 for brokers too, PEM stores', () => {
    const t = compileTopology({ portOffset: 6000 });
    const props = parse(
      kafkaServerProperties({
        node: t.brokers[0]!,
        cluster: t.brokers,
        logDir: '/d',
        security: {
          keystoreFile: '/s/broker-keystore.pem',
          truststoreFile: '/s/ca.pem',
          interBroker: { username: 'fanout-broker', password: 'pw' },
        },
      }),
    );
    expect(props.listeners).toBe('SASL_SSL://127.0.0.1:15092,CONTROLLER://127.0.0.1:15093');
    expect(props['advertised.listeners']).toBe('SASL_SSL://127.0.0.1:15092');
    expect(props['listener.security.protocol.map']).toBe('SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT');
    expect(props['inter.broker.listener.name']).toBe('SASL_SSL');
    expect(props['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(props['sasl.mechanism.inter.broker.protocol']).toBe('SCRAM-SHA-512');
    expect(props['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="fanout-broker" password="pw";',
    );
    expect(props['ssl.keystore.type']).toBe('PEM');
    expect(props['ssl.keystore.location']).toBe('/s/broker-keystore.pem');
    expect(props['ssl.truststore.location']).toBe('/s/ca.pem');
    expect(Object.values(props).join(' ')).not.toMatch(/PLAINTEXT:\/\//);
  });
});
