import { join } from 'node:path';
import { PlatformError } from './platform-error';
import { stateDir } from './paths';

export type ComponentName = 'kafka' | 'registry' | 'jaeger';
export const allComponents: readonly ComponentName[] = ['kafka', 'registry', 'jaeger'];

export interface StackOptions {
  /** Names the state dir `.fanout/stack/<profile>`; two profiles never share processes. */
  profile?: string;
  /** 1 (default) or 3 (replication factor 3, min.insync.replicas 2, for fault tests). */
  brokers?: number;
  /** Added to every fixed port, so a second stack (tests, development) never collides. */
  portOffset?: number;
  /** Which platform components to run; default all three. */
  components?: readonly ComponentName[];
  /** Checkout root that holds `.fanout/`; default this checkout. */
  root?: string;
  /**
   * Kafka on SASL_SSL (SCRAM-SHA-512 over TLS with a throwaway CA) instead of PLAINTEXT.
   * A running profile keeps its mode; a full `down` forgets it.
   */
  secure?: boolean;
}

export interface BrokerNode {
  nodeId: number;
  port: number;
  controllerPort: number;
}

export interface Topology {
  profile: string;
  portOffset: number;
  components: readonly ComponentName[];
  /** Kafka listens on SASL_SSL only (see secure-kafka.ts). */
  secure: boolean;
  stateDir: string;
  logDir: string;
  dataDir: string;
  brokers: BrokerNode[];
  /** managementPort: Quarkus health/metrics listener, which the image's build fixes as enabled. */
  registry: { port: number; managementPort: number };
  jaeger: {
    otlpGrpcPort: number;
    otlpHttpPort: number;
    queryPort: number;
    queryGrpcPort: number;
    healthPort: number;
  };
}

/** The fixed ports of ARCHITECTURE.md; brokers 2 and 3 sit 100 and 200 above broker 1. */
export const fixedPorts = {
  kafka: 9092,
  kafkaController: 9093,
  brokerStride: 100,
  registry: 8081,
  registryManagement: 9000,
  otlpGrpc: 4317,
  otlpHttp: 4318,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerHealth: 13133,
} as const;

export function compileTopology(options: StackOptions = {}): Topology {
  const profile = options.profile ?? 'default';
  const brokers = options.brokers ?? 1;
  const portOffset = options.portOffset ?? 0;
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(profile))
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'stack',
      `profile "${profile}" is not a valid name`,
      'Use lowercase letters, digits and dashes, e.g. --profile dev.',
    );
  if (brokers !== 1 && brokers !== 3)
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'kafka',
      `--brokers ${brokers} is not supported`,
      'Use --brokers 1 (default) or --brokers 3.',
    );
  if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 40_000)
    throw new PlatformError(
      'FANOUT_PLATFORM_BAD_OPTION',
      'stack',
      `port offset ${portOffset} is out of range`,
      'Use an integer between 0 and 40000, e.g. --port-offset 10000.',
    );
  const dir = stateDir(profile, options.root);
  return {
    profile,
    portOffset,
    components: options.components ?? allComponents,
    secure: options.secure ?? false,
    stateDir: dir,
    logDir: join(dir, 'logs'),
    dataDir: join(dir, 'data'),
    brokers: Array.from({ length: brokers }, (_, i) => ({
      nodeId: i + 1,
      port: fixedPorts.kafka + i * fixedPorts.brokerStride + portOffset,
      controllerPort: fixedPorts.kafkaController + i * fixedPorts.brokerStride + portOffset,
    })),
    registry: {
      port: fixedPorts.registry + portOffset,
      managementPort: fixedPorts.registryManagement + portOffset,
    },
    jaeger: {
      otlpGrpcPort: fixedPorts.otlpGrpc + portOffset,
      otlpHttpPort: fixedPorts.otlpHttp + portOffset,
      queryPort: fixedPorts.jaegerQuery + portOffset,
      queryGrpcPort: fixedPorts.jaegerQueryGrpc + portOffset,
      healthPort: fixedPorts.jaegerHealth + portOffset,
    },
  };
}

/** Same shape as @fanout/test-platform's PlatformEndpoints. */
export interface StackEndpoints {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  otlpHttpUrl: string;
  otlpGrpcUrl: string;
  jaegerQueryUrl: string;
}

export function endpointsOf(topology: Topology): StackEndpoints {
  return {
    kafkaBrokers: topology.brokers.map((b) => `127.0.0.1:${b.port}`),
    schemaRegistryUrl: `http://127.0.0.1:${topology.registry.port}/apis/ccompat/v7`,
    otlpHttpUrl: `http://127.0.0.1:${topology.jaeger.otlpHttpPort}`,
    otlpGrpcUrl: `http://127.0.0.1:${topology.jaeger.otlpGrpcPort}`,
    jaegerQueryUrl: `http://127.0.0.1:${topology.jaeger.queryPort}`,
  };
}

/** The variables @fanout/test-platform's platformEndpoints() reads. */
export function endpointEnv(endpoints: StackEndpoints): Record<string, string> {
  return {
    FANOUT_KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    FANOUT_SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    FANOUT_OTLP_HTTP_URL: endpoints.otlpHttpUrl,
    FANOUT_OTLP_GRPC_URL: endpoints.otlpGrpcUrl,
    FANOUT_JAEGER_QUERY_URL: endpoints.jaegerQueryUrl,
  };
}

/** Every port a component listens on, with a label for error messages. */
export function componentPorts(
  topology: Topology,
  component: ComponentName,
): Array<{ port: number; label: string }> {
  switch (component) {
    case 'kafka':
      return topology.brokers.flatMap((b) => [
        { port: b.port, label: `kafka broker ${b.nodeId}` },
        { port: b.controllerPort, label: `kafka controller ${b.nodeId}` },
      ]);
    case 'registry':
      return [
        { port: topology.registry.port, label: 'schema registry' },
        { port: topology.registry.managementPort, label: 'schema registry management' },
      ];
    case 'jaeger':
      return [
        { port: topology.jaeger.otlpGrpcPort, label: 'jaeger OTLP gRPC' },
        { port: topology.jaeger.otlpHttpPort, label: 'jaeger OTLP HTTP' },
        { port: topology.jaeger.queryPort, label: 'jaeger query' },
        { port: topology.jaeger.queryGrpcPort, label: 'jaeger query gRPC' },
        { port: topology.jaeger.healthPort, label: 'jaeger health' },
      ];
  }
}
