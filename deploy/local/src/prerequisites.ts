import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PlatformError } from './platform-error';

function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** `java -version` prints `version "17.0.15"`, `"25"` or, before Java 9, `"1.8.0_412"`. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

function javaMajor(java: string): number | undefined {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.status !== 0) return undefined;
  return parseJavaMajor(`${result.stderr}${result.stdout}`);
}

function javaCandidates(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (env.JAVA_HOME) out.push(join(env.JAVA_HOME, 'bin', 'java'));
  const path = onPath('java', env);
  if (path) out.push(path);
  for (const root of ['/usr/lib/jvm', '/opt/java', '/usr/local/lib/jvm']) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort().reverse())
      out.push(join(root, name, 'bin', 'java'));
  }
  return [...new Set(out)].filter((p) => existsSync(p));
}

const found = new Map<string, string>();

/**
 * A java of at least `minMajor`, for `component`. `override` (an env var naming a java
 * binary) wins; otherwise JAVA_HOME, PATH, then the JDKs under /usr/lib/jvm.
 */
export function findJava(
  component: string,
  minMajor: number,
  override?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const key = `${minMajor}:${override ?? ''}`;
  const cached = found.get(key);
  if (cached) return cached;
  const candidates = override ? [override] : javaCandidates(env);
  const seen: string[] = [];
  for (const java of candidates) {
    const major = javaMajor(java);
    seen.push(`${java} (${major ?? 'unusable'})`);
    if (major !== undefined && major >= minMajor) {
      found.set(key, java);
      return java;
    }
  }
  throw new PlatformError(
    'FANOUT_PLATFORM_PREREQUISITE_MISSING',
    component,
    `${component} needs Java ${minMajor} or newer; ${seen.length ? `found only ${seen.join(', ')}` : 'no java was found'}`,
    `Install a JDK ${minMajor}+ (e.g. \`apt-get install openjdk-${Math.max(minMajor, 17)}-jdk-headless\` or Temurin from https://adoptium.net) or point JAVA_HOME at one.`,
  );
}

const toolHints: Record<string, string> = {
  mvn: 'Install Apache Maven 3.8+ (`apt-get install maven`, or https://maven.apache.org/download.cgi) and make sure `mvn` is on PATH.',
  go: 'Install Go 1.24+ from https://go.dev/dl (or `apt-get install golang`) and make sure `go` is on PATH.',
  tar: 'Install tar (`apt-get install tar`).',
};

/** The absolute path of a build tool, or a clear error saying what to install. */
export function requireTool(
  tool: 'mvn' | 'go' | 'tar',
  component: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const path = onPath(tool, env);
  if (!path)
    throw new PlatformError(
      'FANOUT_PLATFORM_PREREQUISITE_MISSING',
      component,
      `provisioning ${component} needs \`${tool}\`, which is not on PATH`,
      toolHints[tool] ?? `Install ${tool}.`,
    );
  return path;
}
