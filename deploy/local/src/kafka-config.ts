import { join } from 'node:path';
import type { BrokerNode, Topology } from './topology';

export interface KafkaNodeConfigInput {
  node: BrokerNode;
  cluster: readonly BrokerNode[];
  logDir: string;
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
  return lines;
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
