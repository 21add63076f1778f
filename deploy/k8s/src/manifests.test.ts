import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadCatalog } from '@fanout/contracts';
import { serviceCatalog } from '@fanout/local-platform';
import { generateFiles, staleFiles } from './generate';
import type { GeneratedFiles } from './generate';
import { packageRoot, repoRoot } from './paths';
import { describeServices } from './service-model';
import type { ServiceModel } from './service-model';

type Doc = {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string };
  };
};
type Container = {
  env: EnvVar[];
  envFrom: { configMapRef: { name: string } }[];
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
};
type PodSpec = {
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
  terminationGracePeriodSeconds: number;
};

function read(path: string): Doc[] {
  return parseAllDocuments(readFileSync(join(packageRoot, path), 'utf8')).map(
    (d) => d.toJSON() as Doc,
  );
}

const all = (): Doc[] => [
  ...read('base/generated/topics.yaml'),
  ...serviceCatalog.flatMap((s) =>
    read(`${s.role === 'sandbox' ? 'local-platform' : 'base'}/generated/${s.name}.yaml`),
  ),
  ...read('base/platform/platform-config.yaml'),
];

const find = (docs: Doc[], kind: string, name: string) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);

let generated: GeneratedFiles;
let models: ServiceModel[];
let docs: Doc[];

beforeAll(async () => {
  generated = await generateFiles();
  models = await describeServices();
  docs = all();
}, 60_000);

describe('kubernetes manifests', () => {
  it('are what `npm run k8s -- generate` writes from the catalogs and config.ts files', () => {
    expect(staleFiles(generated), 'run npm run k8s -- generate').toEqual([]);
  });

  it('give every catalog service a Deployment with readiness on /readyz and liveness on /healthz, and a Service', () => {
    for (const spec of serviceCatalog) {
      const deployment = find(docs, 'Deployment', spec.name);
      expect(deployment, spec.name).toBeDefined();
      const container = (deployment!.spec as { template: { spec: PodSpec } }).template.spec
        .containers[0]!;
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(find(docs, 'Service', spec.name), spec.name).toBeDefined();
      expect(find(docs, 'PodDisruptionBudget', spec.name), spec.name).toBeDefined();
    }
  });

  it("set every variable a service's config requires, and its config loads from that environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-k8s-env-'));
    const localSecrets = parseLocalSecrets();
    for (const model of models) {
      const deployment = find(docs, 'Deployment', model.name)!;
      const pod = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
      const container = pod.containers[0]!;
      const env = resolveEnv(container, pod, localSecrets, dir);
      for (const variable of model.required) {
        const satisfied =
          variable in env || (variable.endsWith('_API_KEY') && `${variable}_FILE` in env);
        expect(satisfied, `${model.name} ${variable}`).toBe(true);
      }
      const mod = (await import(
        join(repoRoot, 'services', model.name, 'src', 'config.ts')
      )) as Record<string, unknown>;
      const load = Object.entries(mod).find(([k]) => /^load\w*Config$/.test(k))![1] as (
        e: NodeJS.ProcessEnv,
      ) => Record<string, unknown>;
      const config = load(env);
      expect(config.PORT, model.name).toBe(model.port);
      expect(config.HOST, model.name).toBe('0.0.0.0');
      // Nothing is set that the service does not read.
      for (const name of Object.keys(env))
        expect(model.variables, `${model.name} sets ${name}`).toContain(name);
    }
  });

  it('keep the SQLite files of the domain services on a PersistentVolumeClaim, one writer at a time', () => {
    for (const model of models.filter((m) => m.durableData)) {
      expect(find(docs, 'PersistentVolumeClaim', `${model.name}-data`), model.name).toBeDefined();
      const spec = find(docs, 'Deployment', model.name)!.spec as {
        replicas: number;
        strategy: { type: string };
      };
      expect(spec.replicas).toBe(1);
      expect(spec.strategy.type).toBe('Recreate');
    }
  });

  it('give each pod a grace period covering the preStop pause and the drain its code allows', () => {
    for (const model of models) {
      const pod = (find(docs, 'Deployment', model.name)!.spec as { template: { spec: PodSpec } })
        .template.spec;
      expect(pod.terminationGracePeriodSeconds * 1000, model.name).toBeGreaterThan(
        model.drainMs + 5_000,
      );
    }
  });

  it('have a KafkaTopic for every catalog topic and every retry and dead-letter topic, with the catalog partitions', () => {
    const topics = new Map(
      docs
        .filter((d) => d.kind === 'KafkaTopic')
        .map((d) => [String(d.spec!.topicName), d.spec as { partitions: number }]),
    );
    for (const topic of loadCatalog().topics)
      expect(topics.get(topic.name)?.partitions, topic.name).toBe(topic.partitions);
    for (const model of models) {
      if (!model.group) continue;
      for (const retry of model.group.retryTopics) expect(topics.has(retry), retry).toBe(true);
      if (model.group.deadLetterTopic)
        expect(topics.has(model.group.deadLetterTopic), model.group.deadLetterTopic).toBe(true);
    }
    expect(topics.has('email-consumer.retry.4')).toBe(true);
    expect(topics.has('email-consumer.dlq')).toBe(true);
  });

  it('scale every consumer on its consumer-group lag, to at most the partitions of its topics', () => {
    const partitions = new Map(loadCatalog().topics.map((t) => [t.name, t.partitions]));
    const consumers = models.filter((m) => m.role === 'consumer' || m.role === 'saga');
    expect(consumers.length).toBe(8);
    for (const model of consumers) {
      const scaled = find(docs, 'ScaledObject', model.name);
      expect(scaled, model.name).toBeDefined();
      const spec = scaled!.spec as {
        maxReplicaCount: number;
        triggers: { type: string; metadata: { consumerGroup: string; topic: string } }[];
      };
      expect(spec.triggers.map((t) => t.metadata.topic).sort()).toEqual(
        [...model.group!.topics].sort(),
      );
      for (const trigger of spec.triggers) {
        expect(trigger.type).toBe('kafka');
        expect(trigger.metadata.consumerGroup).toBe(model.group!.id);
        expect(spec.maxReplicaCount).toBeLessThanOrEqual(partitions.get(trigger.metadata.topic)!);
      }
    }
  });
});

/** The local overlay's secretGenerator literals, by Secret name. */
function parseLocalSecrets(): Map<string, Record<string, string>> {
  const text = readFileSync(join(packageRoot, 'overlays/local/kustomization.yaml'), 'utf8');
  const doc = parseAllDocuments(text)[0]!.toJSON() as {
    secretGenerator: { name: string; literals: string[] }[];
  };
  return new Map(
    doc.secretGenerator.map((g) => [
      g.name,
      Object.fromEntries(
        g.literals.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ),
    ]),
  );
}

/** The environment a pod of the local overlay gets; mounted Secret files are written to `dir`. */
function resolveEnv(
  container: Container,
  pod: PodSpec,
  secrets: Map<string, Record<string, string>>,
  dir: string,
): Record<string, string> {
  const configMaps = new Map(
    docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name, d.data ?? {}]),
  );
  const env: Record<string, string> = {};
  for (const from of container.envFrom)
    Object.assign(env, configMaps.get(from.configMapRef.name) ?? {});
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts) {
    const secretName = pod.volumes.find((v) => v.name === mount.name)?.secret?.secretName;
    const data = secretName ? secrets.get(secretName) : undefined;
    if (!data) continue;
    for (const [key, value] of Object.entries(data)) {
      const file = join(dir, `${secretName}-${key}`);
      writeFileSync(file, value);
      mounts.set(`${mount.mountPath}/${key}`, file);
    }
  }
  for (const variable of container.env) {
    const ref = variable.valueFrom;
    let value = variable.value;
    if (ref?.configMapKeyRef)
      value = configMaps.get(ref.configMapKeyRef.name)?.[ref.configMapKeyRef.key];
    if (ref?.secretKeyRef) value = secrets.get(ref.secretKeyRef.name)?.[ref.secretKeyRef.key];
    if (value === undefined) continue;
    env[variable.name] = mounts.get(value) ?? value;
  }
  return env;
}
