import { describe, expect, it } from 'vitest';
import { render, validateManifests } from './validate';
import { cachedValidators } from './validators';

// Provisioned by `npm test` before the unit tests (and by `npm run k8s -- provision`).
const paths = cachedValidators();

describe.skipIf(!paths)('npm run k8s -- validate', () => {
  it('accepts the local overlay as rendered, and refuses it with one wrong field in one Deployment', async () => {
    const manifests = render(paths!, 'local');
    expect((await validateManifests(paths!, manifests)).invalid).toEqual([]);

    type Pod = { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    const broken = structuredClone(manifests);
    const deployment = broken.find((m) => m.kind === 'Deployment') as unknown as Pod;
    deployment.spec.template.spec.containers[0]!.readinesProbe = { httpGet: { path: '/readyz' } };
    const result = await validateManifests(paths!, broken);
    expect(result.invalid).toHaveLength(1);
    expect(result.invalid[0]!.resource).toMatch(/^Deployment\//);
  }, 30_000);

  it('refuses a ScaledObject and a KafkaTopic whose fields have the wrong type', async () => {
    const result = await validateManifests(paths!, [
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'x' },
        spec: { scaleTargetRef: { name: 'x' }, maxReplicaCount: 'six', triggers: [] },
      },
      {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: { name: 'y' },
        spec: { partitions: 'six' },
      },
    ] as never);
    expect(result.invalid.map((f) => f.resource).sort()).toEqual([
      'KafkaTopic/y',
      'ScaledObject/x',
    ]);
  }, 30_000);
});
