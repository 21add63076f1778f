import { serviceCatalog } from '@fanout/local-platform';
import type { ServiceModel } from './service-model';
import {
  API_KEY_DIR,
  DATA_DIR,
  DOWNSTREAM_CONFIG,
  KAFKA_CA_DIR,
  KAFKA_CA_SECRET,
  KAFKA_USERS_CONFIG,
  KAFKA_USER_DIR,
  KEDA_KAFKA_AUTH,
  PLATFORM_CONFIG,
  PRE_STOP_SECONDS,
} from './names';

type Resource = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
};

/** Variables every service reading them takes from the platform ConfigMap. */
const PLATFORM_VARIABLES = [
  'LOG_LEVEL',
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'KAFKA_REPLICATION_FACTOR',
  'KAFKA_SECURITY_PROTOCOL',
];
/** Platform keys set only where Kafka is secured (production): optional references. */
const OPTIONAL_PLATFORM_VARIABLES = [
  // The console's trace source: the local platform's Jaeger (production sets its own or none).
  'JAEGER_QUERY_URL',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_PASSWORD_FILE',
  'KAFKA_SSL_CA_FILE',
];
/** Read by the code but deliberately not set: the file variants are preferred, or test-only. */
export const UNSET_VARIABLES = [
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SSL_REJECT_UNAUTHORIZED',
  'OUTBOX_TEST_CRASH_POINT',
];

/** CPU and memory per role: see docs/scaling.md for the measured inputs behind them. */
const RESOURCES: Record<ServiceModel['role'], object> = {
  domain: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  consumer: {
    requests: { cpu: '100m', memory: '192Mi' },
    limits: { cpu: '500m', memory: '384Mi' },
  },
  saga: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  sandbox: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '500m', memory: '256Mi' },
  },
  ops: { requests: { cpu: '50m', memory: '192Mi' }, limits: { cpu: '500m', memory: '384Mi' } },
};

export function labels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'fanout' };
}

/** user-service's port in the service catalog (deploy/local/src/services.ts). */
const USER_SERVICE_PORT = 3001;

/** The container's environment: one entry per variable the service reads and we set. */
export function containerEnv(model: ServiceModel): object[] {
  const env: object[] = [];
  const reads = new Set(model.variables);
  const literal = (name: string, value: string) => {
    if (reads.has(name)) env.push({ name, value });
  };
  literal('PORT', String(model.port));
  literal('HOST', '0.0.0.0');
  literal('OTEL_SERVICE_NAME', model.name);
  literal('DATA_DIR', DATA_DIR);
  // The console asks each consumer's Service for /metrics (the breaker states).
  literal(
    'CONSUMER_URLS',
    serviceCatalog
      .filter((s) => s.role === 'consumer')
      .map((s) => `${s.name.replace(/-consumer$/, '')}=http://${s.name}:${s.port}`)
      .join(','),
  );
  for (const name of PLATFORM_VARIABLES)
    if (reads.has(name))
      env.push({ name, valueFrom: { configMapKeyRef: { name: PLATFORM_CONFIG, key: name } } });
  for (const name of OPTIONAL_PLATFORM_VARIABLES)
    if (reads.has(name))
      env.push({
        name,
        valueFrom: { configMapKeyRef: { name: PLATFORM_CONFIG, key: name, optional: true } },
      });
  if (reads.has('KAFKA_SASL_USERNAME'))
    env.push({
      name: 'KAFKA_SASL_USERNAME',
      valueFrom: { configMapKeyRef: { name: KAFKA_USERS_CONFIG, key: model.name, optional: true } },
    });
  if (reads.has('API_KEYS'))
    env.push({
      name: 'API_KEYS',
      valueFrom: { secretKeyRef: { name: `${model.name}-api-keys`, key: 'API_KEYS' } },
    });
  // order-service asks user-service about a customer its view does not know yet.
  if (reads.has('USER_SERVICE_URL')) {
    literal('USER_SERVICE_URL', `http://user-service:${USER_SERVICE_PORT}`);
    env.push({
      name: 'USER_SERVICE_API_KEY',
      valueFrom: {
        secretKeyRef: { name: `${model.name}-user-service-key`, key: 'USER_SERVICE_API_KEY' },
      },
    });
  }
  if (reads.has('SANDBOX_API_KEYS'))
    env.push({
      name: 'SANDBOX_API_KEYS',
      valueFrom: { secretKeyRef: { name: `${model.name}-keys`, key: 'SANDBOX_API_KEYS' } },
    });
  if (model.api) {
    const prefix = model.api.toUpperCase();
    env.push({
      name: `${prefix}_API_URL`,
      valueFrom: { configMapKeyRef: { name: DOWNSTREAM_CONFIG, key: `${prefix}_API_URL` } },
    });
    env.push({ name: `${prefix}_API_KEY_FILE`, value: `${API_KEY_DIR}/api-key` });
  }
  return env;
}

/** Names the Deployment sets through `env` (not through the tuning ConfigMap). */
export function wiredVariables(model: ServiceModel): string[] {
  return containerEnv(model).map((e) => (e as { name: string }).name);
}

/** The service's tuning ConfigMap: every other variable it reads, at its code default. */
function tuningConfig(model: ServiceModel): Resource {
  const wired = new Set([...wiredVariables(model), ...UNSET_VARIABLES]);
  const data: Record<string, string> = {};
  for (const name of model.variables)
    if (!wired.has(name) && model.defaults[name] !== undefined) data[name] = model.defaults[name];
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${model.name}-config`, labels: labels(model.name) },
    data,
  };
}

function volumes(model: ServiceModel): { volumes: object[]; mounts: object[] } {
  const volumes: object[] = [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }];
  const mounts: object[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (model.variables.includes('DATA_DIR')) {
    volumes.push(
      model.durableData
        ? { name: 'data', persistentVolumeClaim: { claimName: `${model.name}-data` } }
        : { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
    );
    mounts.push({ name: 'data', mountPath: DATA_DIR });
  }
  if (model.variables.includes('KAFKA_SECURITY_PROTOCOL')) {
    // Strimzi's KafkaUser Secret (key `password`) and cluster CA; absent on a PLAINTEXT cluster.
    volumes.push({ name: 'kafka-user', secret: { secretName: model.name, optional: true } });
    volumes.push({ name: 'kafka-ca', secret: { secretName: KAFKA_CA_SECRET, optional: true } });
    mounts.push({ name: 'kafka-user', mountPath: KAFKA_USER_DIR, readOnly: true });
    mounts.push({ name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true });
  }
  if (model.api) {
    volumes.push({ name: 'api-key', secret: { secretName: `${model.api}-api-key` } });
    mounts.push({ name: 'api-key', mountPath: API_KEY_DIR, readOnly: true });
  }
  return { volumes, mounts };
}

/** SIGTERM comes after the preStop sleep; the grace period covers that and the whole drain. */
export function terminationGraceSeconds(model: ServiceModel): number {
  return PRE_STOP_SECONDS + Math.ceil(model.drainMs / 1000) + 5;
}

function deployment(model: ServiceModel): Resource {
  const { volumes: vols, mounts } = volumes(model);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  // A domain service owns its SQLite file: one writer, so one replica and no overlap on rollout.
  const singleton = model.durableData;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: model.name, labels: labels(model.name) },
    spec: {
      // A scaled Deployment leaves its replica count to KEDA's HPA.
      ...(isScaled(model) ? {} : { replicas: 1 }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: { 'app.kubernetes.io/name': model.name } },
      strategy: singleton
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: labels(model.name) },
        spec: {
          terminationGracePeriodSeconds: terminationGraceSeconds(model),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: model.name,
              image: `fanout/${model.name}:0.1.0`,
              ports: [{ name: 'http', containerPort: model.port, protocol: 'TCP' }],
              env: containerEnv(model),
              envFrom: [{ configMapRef: { name: `${model.name}-config` } }],
              resources: RESOURCES[model.role],
              startupProbe: probe('/healthz', 2, 30),
              readinessProbe: probe('/readyz', 5, 3),
              livenessProbe: probe('/healthz', 10, 3),
              // Let the Service drop this endpoint before the drain starts.
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts,
            },
          ],
          volumes: vols,
        },
      },
    },
  };
}

/** A resource of one service: its kind, named after the service, with the service's labels. */
function owned(model: ServiceModel, apiVersion: string, kind: string, spec: object): Resource {
  return { apiVersion, kind, metadata: { name: model.name, labels: labels(model.name) }, spec };
}

function service(model: ServiceModel): Resource {
  return owned(model, 'v1', 'Service', {
    selector: { 'app.kubernetes.io/name': model.name },
    ports: [{ name: 'http', port: model.port, targetPort: 'http', protocol: 'TCP' }],
  });
}

/** One at a time: consumers rebalance once per eviction; a singleton may still be drained. */
function disruptionBudget(model: ServiceModel): Resource {
  return owned(model, 'policy/v1', 'PodDisruptionBudget', {
    maxUnavailable: 1,
    selector: { matchLabels: { 'app.kubernetes.io/name': model.name } },
  });
}

function dataClaim(model: ServiceModel): Resource {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `${model.name}-data`, labels: labels(model.name) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
  };
}

/** Consumers and the saga coordinator scale on their group's lag, at most one pod per partition. */
export function scaledObject(model: ServiceModel, partitions: Map<string, number>): Resource {
  const group = model.group!;
  const max = Math.min(...group.topics.map((t) => partitions.get(t) ?? 1));
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: model.name, labels: labels(model.name) },
    spec: {
      scaleTargetRef: { name: model.name },
      minReplicaCount: 1,
      maxReplicaCount: max,
      pollingInterval: 15,
      cooldownPeriod: 300,
      triggers: group.topics.map((topic) => ({
        type: 'kafka',
        authenticationRef: { name: KEDA_KAFKA_AUTH },
        metadata: {
          bootstrapServersFromEnv: 'KAFKA_BROKERS',
          consumerGroup: group.id,
          topic,
          lagThreshold: '500',
          activationLagThreshold: '10',
          offsetResetPolicy: 'earliest',
          allowIdleConsumers: 'false',
        },
      })),
    },
  };
}

export function isScaled(model: ServiceModel): boolean {
  return (model.role === 'consumer' || model.role === 'saga') && model.group !== undefined;
}

/** Everything one service needs, in apply order. */
export function serviceResources(model: ServiceModel, partitions: Map<string, number>): Resource[] {
  const resources: Resource[] = [tuningConfig(model)];
  if (model.durableData) resources.push(dataClaim(model));
  resources.push(deployment(model), service(model), disruptionBudget(model));
  if (isScaled(model)) resources.push(scaledObject(model, partitions));
  return resources;
}
