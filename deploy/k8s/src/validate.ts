import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from './paths';
import { provisionValidators, runTool } from './validators';
import type { ValidatorPaths } from './validators';

export const OVERLAYS = ['local', 'production'] as const;

export type Manifest = { apiVersion: string; kind: string; metadata?: { name?: string } };

export interface Finding {
  resource: string;
  message: string;
}

export interface ValidationResult {
  resources: number;
  invalid: Finding[];
}

const label = (m: Manifest) => `${m.kind}/${m.metadata?.name ?? '?'}`;

/** `kustomize build` of one overlay, as parsed documents. */
export function render(paths: ValidatorPaths, overlay: string): Manifest[] {
  const result = runTool(paths.kustomize, ['build', join(packageRoot, 'overlays', overlay)]);
  if (result.status !== 0) throw new Error(`kustomize build ${overlay}: ${result.stderr.trim()}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJSON() as Manifest)
    .filter(Boolean);
}

async function strimziValidator(
  paths: ValidatorPaths,
  m: Manifest,
): Promise<((data: unknown) => boolean) & { errors?: unknown[] | null }> {
  const [group, version] = m.apiVersion.split('/');
  const name = `${group!
    .split('.')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('')}${version![0]!.toUpperCase()}${version!.slice(1)}${m.kind}`;
  const file = join(paths.strimziSchemas, `${name}.js`);
  if (!existsSync(file)) throw new Error(`no Strimzi schema for ${m.apiVersion} ${m.kind}`);
  return ((await import(file)) as { validate: never }).validate;
}

/** Validates rendered resources: kubeconform (Kubernetes and KEDA), Strimzi's validators. */
export async function validateManifests(
  paths: ValidatorPaths,
  manifests: readonly Manifest[],
): Promise<ValidationResult> {
  const invalid: Finding[] = [];
  const strimzi = manifests.filter((m) => m.apiVersion.startsWith('kafka.strimzi.io/'));
  const rest = manifests.filter((m) => !m.apiVersion.startsWith('kafka.strimzi.io/'));
  for (const m of strimzi) {
    const validate = await strimziValidator(paths, m);
    if (!validate(m))
      for (const e of validate.errors ?? []) {
        const { instancePath, message, params } = e as {
          instancePath: string;
          message?: string;
          params?: unknown;
        };
        invalid.push({
          resource: label(m),
          message: `${instancePath || '/'} ${message ?? JSON.stringify(params)}`,
        });
      }
  }
  if (rest.length > 0) {
    const args = ['-strict', '-summary', '-output', 'json'];
    for (const location of paths.schemaLocations) args.push('-schema-location', location);
    // JSON documents: kubeconform reads YAML 1.1, where an unquoted y or on is a boolean.
    const input = rest.map((m) => JSON.stringify(m)).join('\n---\n');
    const result = runTool(paths.kubeconform, [...args, '-'], input);
    const report = JSON.parse(result.stdout || '{}') as {
      resources?: { kind: string; name: string; status: string; msg: string }[];
      summary?: { valid: number; invalid: number; errors: number; skipped: number };
    };
    for (const r of report.resources ?? [])
      if (r.status !== 'statusValid')
        invalid.push({ resource: `${r.kind}/${r.name}`, message: `${r.status}: ${r.msg}` });
    const s = report.summary;
    if (!s) invalid.push({ resource: '(kubeconform)', message: result.stderr.trim() });
    // Every resource must have been checked: none skipped, none lost.
    else if (s.skipped > 0 || s.valid + s.invalid + s.errors !== rest.length)
      invalid.push({
        resource: '(kubeconform)',
        message: `validated ${s.valid} of ${rest.length} (skipped ${s.skipped}, errors ${s.errors})`,
      });
  }
  return { resources: manifests.length, invalid };
}

/** One wrong manifest per validator: the step must refuse each, or it proves nothing. */
export const CANARIES: Manifest[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'canary-unknown-field' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'i', readinesProbe: {} }] },
      },
    },
  } as Manifest,
  {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'canary-max-as-text' },
    spec: { scaleTargetRef: { name: 'x' }, maxReplicaCount: 'six', triggers: [] },
  } as Manifest,
  {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: { name: 'canary-partitions-as-text' },
    spec: { partitions: 'six', replicas: 1 },
  } as Manifest,
];

/** Renders and validates every overlay, then checks that each canary is refused. */
export async function validateOverlays(log: (line: string) => void = console.log): Promise<{
  ok: boolean;
  resources: number;
  invalid: number;
}> {
  const started = Date.now();
  const paths = provisionValidators(log);
  let resources = 0;
  let invalid = 0;
  for (const overlay of OVERLAYS) {
    const result = await validateManifests(paths, render(paths, overlay));
    resources += result.resources;
    invalid += result.invalid.length;
    log(`overlay ${overlay}: ${result.resources} resources, ${result.invalid.length} invalid`);
    for (const f of result.invalid) log(`  ✘ ${f.resource}: ${f.message}`);
  }
  let canariesAccepted = 0;
  for (const canary of CANARIES) {
    const result = await validateManifests(paths, [canary]);
    if (result.invalid.length === 0) {
      canariesAccepted += 1;
      log(`  ✘ the invalid ${label(canary)} was accepted: the validator checks nothing`);
    } else log(`  canary ${label(canary)} refused: ${result.invalid[0]!.message.slice(-160)}`);
  }
  log(
    `validated ${resources} resources of ${OVERLAYS.length} overlays: ${invalid} invalid; ` +
      `${CANARIES.length - canariesAccepted} of ${CANARIES.length} invalid canaries refused ` +
      `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return { ok: invalid === 0 && canariesAccepted === 0, resources, invalid };
}
