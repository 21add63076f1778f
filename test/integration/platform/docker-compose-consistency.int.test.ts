// docker-compose.yml cannot run here (no Docker engine), so this keeps it honest: same
// components, ports and environment names as the local platform, and the same broker settings.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  compileTopology,
  fixedPorts,
  kafkaServerSettings,
  rolePriority,
  serviceCatalog,
  serviceEnv,
  versions,
} from '@fanout/local-platform';

interface ComposeService {
  image?: string;
  build?: { dockerfile: string; args: Record<string, string> };
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  cpu_shares?: number;
}

const compose = parse(
  readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'),
  { merge: true },
) as { services: Record<string, ComposeService> };
const services = compose.services;
const hostPorts = (s: ComposeService | undefined): number[] =>
  (s?.ports ?? []).map((p) => Number(p.split(':').at(-2)));

describe('docker-compose.yml matches the local platform', () => {
  it('gives each catalog service the CPU share of its role (consumers and the sandbox below the domain services)', () => {
    for (const spec of serviceCatalog) {
      const shares = services[spec.name]?.cpu_shares ?? 1024;
      expect({ [spec.name]: shares }).toEqual({ [spec.name]: rolePriority[spec.role].cpuShares });
    }
    expect(rolePriority.consumer.cpuShares).toBeLessThan(rolePriority.domain.cpuShares);
  });

  it('has the platform components with the local versions and fixed host ports', () => {
    expect(services.kafka?.image).toBe(`apache/kafka:${versions.kafka}`);
    expect(hostPorts(services.kafka)).toEqual([fixedPorts.kafka]);
    expect(services.registry?.image).toBe(`apicurio/apicurio-registry:${versions.apicurio}`);
    expect(hostPorts(services.registry)).toEqual([fixedPorts.registry]);
    expect(services.jaeger?.image).toBe(`jaegertracing/jaeger:${versions.jaegerImage}`);
    // The testcontainers platform (a lib, which may not import the platform tool) runs the same.
    expect(
      readFileSync(
        new URL('../../../libs/test-platform/src/container-platform.ts', import.meta.url),
        'utf8',
      ),
    ).toContain(`'jaegertracing/jaeger:${versions.jaegerImage}'`);
    expect(hostPorts(services.jaeger).sort()).toEqual(
      [fixedPorts.otlpGrpc, fixedPorts.otlpHttp, fixedPorts.jaegerQuery].sort(),
    );
  });

  it('configures the broker like the local single-node broker', () => {
    const local = kafkaServerSettings(compileTopology());
    const env = services.kafka?.environment ?? {};
    for (const key of [
      'num.partitions',
      'default.replication.factor',
      'min.insync.replicas',
      'offsets.topic.replication.factor',
      'offsets.topic.num.partitions',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'transaction.state.log.num.partitions',
      'auto.create.topics.enable',
      'group.initial.rebalance.delay.ms',
      'unclean.leader.election.enable',
    ]) {
      const name = `KAFKA_${key.toUpperCase().replaceAll('.', '_')}`;
      expect({ [name]: env[name] }).toEqual({ [name]: String(local[key]) });
    }
  });

  it('lists every catalog service, built from the shared Dockerfile, on its port, with the same env names', () => {
    const ctx = {
      endpoints: {
        kafkaBrokers: ['x'],
        schemaRegistryUrl: 'x',
        otlpHttpUrl: 'x',
        otlpGrpcUrl: 'x',
        jaegerQueryUrl: 'x',
      },
      stateDir: '/x',
      portOffset: 0,
    };
    for (const spec of serviceCatalog) {
      const s = services[spec.name];
      expect(s, `${spec.name} is missing from docker-compose.yml`).toBeDefined();
      expect(s?.build).toEqual({
        context: '.',
        dockerfile: 'deploy/docker/service.Dockerfile',
        args: { SERVICE: spec.name },
      });
      expect(hostPorts(s)).toEqual([spec.port]);
      expect(Object.keys(s?.environment ?? {}).sort()).toEqual(
        Object.keys(serviceEnv(spec, ctx)).sort(),
      );
      expect(s?.environment?.PORT).toBe(String(spec.port));
      expect(s?.healthcheck).toBeDefined();
    }
  });

  it('has Prometheus scrape /metrics of every service of the catalog on its port', () => {
    const mounted = services.prometheus?.volumes?.[0]?.split(':')[0] ?? '';
    expect(mounted).toBe('./deploy/prometheus/prometheus.yml');
    const config = parse(readFileSync(new URL(`../../../${mounted}`, import.meta.url), 'utf8')) as {
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = config.scrape_configs[0]!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs.flatMap((c) => c.targets).sort()).toEqual(
      serviceCatalog.map((s) => `${s.name}:${s.port}`).sort(),
    );
  });

  it('starts services only after the platform is healthy, and consumers after the sandbox APIs', () => {
    for (const spec of serviceCatalog.filter((s) => s.role !== 'sandbox')) {
      const deps = services[spec.name]?.depends_on ?? {};
      expect(deps.kafka?.condition).toBe('service_healthy');
      expect(deps['registry-init']?.condition).toBe('service_completed_successfully');
      if (spec.role === 'consumer') expect(deps['sandbox-apis']?.condition).toBe('service_healthy');
    }
  });

  it('has nothing the local platform does not know about', () => {
    const known = new Set([
      'kafka',
      'registry',
      'registry-init',
      'jaeger',
      // Docker users' metrics UI; locally every service serves /metrics itself (checked above).
      'prometheus',
      ...serviceCatalog.map((s) => s.name),
    ]);
    expect(Object.keys(services).filter((name) => !known.has(name))).toEqual([]);
  });
});
