import { join } from 'node:path';
import type { BrokerNode, Topology } from './topology';

/** TLS and SCRAM settings of a secure broker (see secure-kafka.ts). */
export interface BrokerSecurity {
  /** PEM: the broker's PKCS#8 key, then its certificate chain. */
  keystoreFile: string;
  /** PEM CA the brokers trust when they connect to each other. */
  truststoreFile: string;
  /** The SCRAM user brokers authenticate as on the inter-broker listener. */
  interBroker: { username: string; password: string };
}

export interface KafkaNodeConfigInput {
  node: BrokerNode;
  cluster: readonly BrokerNode[];
  logDir: string;
  /** Secure mode: clients and brokers on SASL_SSL with SCRAM-SHA-512; default PLAINTEXT. */
  security?: BrokerSecurity;
}

/**
 * server.properties for one combined broker+controller node in KRaft mode. With three nodes,
 * every internal topic is replicated three times and writes with acks=all need two in-sync
 * replicas, so one broker can die without losing an acknowledged record.
 */
export function kafkaServerProperties(input: KafkaNodeConfigInput): string {
  return `${Object.entries(kafkaNodeSettings(input))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** The same settings as a map (docker-compose.yml is checked against it). */
export function kafkaNodeSettings({
  node,
  cluster,
  logDir,
  security,
}: KafkaNodeConfigInput): Record<string, string | number | boolean> {
  const replication = cluster.length >= 3 ? 3 : 1;
  const minIsr = cluster.length >= 3 ? 2 : 1;
  const lines: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': cluster
      .map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`)
      .join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 3,
    'default.replication.factor': replication,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': replication,
    // Fewer internal partitions than the default 50: the first consumer group and the first
    // transaction on a fresh, two-core machine are ready in seconds instead of tens of seconds.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 10,
    // Topics come from the topic catalog's admin step; a typo must fail, not create a topic.
    'auto.create.topics.enable': false,
    'group.initial.rebalance.delay.ms': 0,
    'unclean.leader.election.enable': false,
  };
  return security ? { ...lines, ...secureListenerSettings(node, security) } : lines;
}

/**
 * Secure mode: the one client listener is SASL_SSL (SCRAM-SHA-512 over TLS), and brokers talk
 * to each other on it too, as their own SCRAM user. The KRaft controller listener stays
 * PLAINTEXT on 127.0.0.1: only the brokers' own processes use it. No authorizer: every
 * authenticated user may do everything (authentication is what this mode proves).
 */
function secureListenerSettings(
  node: BrokerNode,
  security: BrokerSecurity,
): Record<string, string | number | boolean> {
  const { username, password } = security.interBroker;
  return {
    listeners: `SASL_SSL://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `SASL_SSL://127.0.0.1:${node.port}`,
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'SASL_SSL',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': security.keystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': security.truststoreFile,
    'ssl.client.auth': 'none',
    'ssl.endpoint.identification.algorithm': 'https',
  };
}

/** Settings of broker 1 of a topology. */
export function kafkaServerSettings(topology: Topology): Record<string, string | number | boolean> {
  const node = topology.brokers[0];
  if (!node) throw new Error('a topology has at least one broker');
  return kafkaNodeSettings({
    node,
    cluster: topology.brokers,
    logDir: join(topology.dataDir, 'kafka-1'),
  });
}

export const kafkaLog4j2Yaml = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: INFO
`;
