import { existsSync } from 'node:fs';
import type { PlatformEndpoints } from './endpoints';

/**
 * The Docker branch of the global setup. Untested on the project's own machines, which have
 * no Docker engine: kept deliberately small, with the same images docker-compose.yml uses
 * (Kafka through @testcontainers/kafka's Confluent image of the same Kafka 4.1 line, because
 * its KafkaContainer drives the cp-kafka scripts).
 */
export async function dockerEngineAnswers(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export interface ContainerPlatform {
  endpoints: PlatformEndpoints;
  stop(): Promise<void>;
}

export async function startContainerPlatform(): Promise<ContainerPlatform> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const [kafka, registry, jaeger] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:8.1.0')
      .withKraft()
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
      .start(),
    new GenericContainer('apicurio/apicurio-registry:3.3.3')
      .withEnvironment({ APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED: 'true' })
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start(),
    new GenericContainer('jaegertracing/jaeger:2.12.0')
      .withExposedPorts(4317, 4318, 16686)
      .withWaitStrategy(Wait.forHttp('/api/services', 16686))
      .start(),
  ]);
  const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'BACKWARD_TRANSITIVE' }),
  });
  return {
    endpoints: {
      kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      schemaRegistryUrl: registryUrl,
      otlpGrpcUrl: `http://${jaeger.getHost()}:${jaeger.getMappedPort(4317)}`,
      otlpHttpUrl: `http://${jaeger.getHost()}:${jaeger.getMappedPort(4318)}`,
      jaegerQueryUrl: `http://${jaeger.getHost()}:${jaeger.getMappedPort(16686)}`,
    },
    async stop() {
      await Promise.allSettled([kafka.stop(), registry.stop(), jaeger.stop()]);
    },
  };
}
