import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { checkCacheEntry, discardCacheEntry, populateCacheEntry } from './cache-entry';
import { runCommand } from './command-runner';
import { PlatformError } from './platform-error';
import { cacheRoot } from './paths';
import { requireTool } from './prerequisites';
import { formatElapsed, startProgress, type LogSink } from './progress';
import { allComponents, type ComponentName } from './topology';
import { versions } from './versions';

/** Where each provisioned component's runnable files are. */
export interface ProvisionedPaths {
  /** Directory of Kafka's jars (classpath `<dir>/*`). */
  kafkaLibs: string;
  /** Apicurio Registry's quarkus-run.jar. */
  apicurioJar: string;
  jaegerBinary: string;
}

export interface ProvisionOptions {
  components?: readonly ComponentName[];
  /** Re-hash every cached file against its completion marker (`stack provision` does). */
  deep?: boolean;
  log?: LogSink;
  env?: NodeJS.ProcessEnv;
}

interface Recipe {
  component: ComponentName;
  entry: string;
  describe: string;
  /** Fails with what to install before any work starts. */
  prerequisites(env: NodeJS.ProcessEnv): void;
  build(tmpDir: string, ctx: BuildContext): Promise<void>;
}

interface BuildContext {
  log: LogSink;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

const dependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const mavenHint =
  'Check the network to Maven Central (https://repo.maven.apache.org) and run `npm run stack -- provision` again.';

function kafkaPom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>fanout.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${versions.kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${versions.scala}</artifactId>
      <version>${versions.kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${versions.log4jSlf4j}</version>
    </dependency>
  </dependencies>
</project>
`;
}

const kafkaRecipe: Recipe = {
  component: 'kafka',
  entry: `kafka-${versions.kafka}`,
  describe: `Kafka ${versions.kafka} jars from Maven Central`,
  prerequisites: (env) => void requireTool('mvn', 'kafka', env),
  async build(tmpDir, { log, env, logFile }) {
    await writeFile(join(tmpDir, 'pom.xml'), kafkaPom());
    const progress = startProgress('kafka: resolving jars', log);
    let files = 0;
    try {
      await runCommand({
        component: 'kafka',
        command: 'mvn',
        args: [
          '-B',
          '-f',
          join(tmpDir, 'pom.xml'),
          `${dependencyPlugin}:copy-dependencies`,
          `-DoutputDirectory=${join(tmpDir, 'libs')}`,
          '-DincludeScope=runtime',
        ],
        cwd: tmpDir,
        env,
        logFile,
        timeoutMs: 20 * 60_000,
        hint: mavenHint,
        onLine: (line) => {
          if (/^\[INFO\] Copying |Downloaded from/.test(line))
            progress.update(++files, undefined, 'files');
        },
      });
    } catch (error) {
      progress.fail('failed');
      throw error;
    }
    const jars = (await readdir(join(tmpDir, 'libs'))).filter((f) => f.endsWith('.jar'));
    if (!jars.some((j) => j.startsWith(`kafka_${versions.scala}-${versions.kafka}`)))
      throw new PlatformError(
        'FANOUT_PLATFORM_PROVISION_FAILED',
        'kafka',
        `Maven finished but kafka_${versions.scala}-${versions.kafka}.jar is not among the ${jars.length} jars`,
        mavenHint,
      );
    progress.finish(`${jars.length} jars`);
  },
};

/** Maven's local repository: `-Dmaven.repo.local` in MAVEN_OPTS, else ~/.m2/repository. */
function mavenRepository(env: NodeJS.ProcessEnv): string {
  const fromOpts = /-Dmaven\.repo\.local=(\S+)/.exec(env.MAVEN_OPTS ?? '')?.[1];
  return fromOpts ?? join(homedir(), '.m2', 'repository');
}

async function directoryBytes(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const name of await readdir(dir))
    total += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

const apicurioRecipe: Recipe = {
  component: 'registry',
  entry: `apicurio-registry-${versions.apicurio}`,
  describe: `Apicurio Registry ${versions.apicurio} (the 'all' tar.gz, ~160 MB) from Maven Central`,
  prerequisites: (env) => {
    requireTool('mvn', 'registry', env);
    requireTool('tar', 'registry', env);
  },
  async build(tmpDir, { log, env, logFile }) {
    const download = join(tmpDir, '.download');
    // Maven writes into its local repository first; its size there is the download progress.
    const repoDir = join(
      mavenRepository(env),
      'io',
      'apicurio',
      'apicurio-registry-app',
      versions.apicurio,
    );
    const progress = startProgress('registry: downloading apicurio-registry-app', log);
    const poll = setInterval(() => {
      void directoryBytes(repoDir).then((bytes) =>
        progress.update(Math.round(bytes / 1e6), 160, 'MB'),
      );
    }, 1000);
    try {
      await runCommand({
        component: 'registry',
        command: 'mvn',
        args: [
          '-B',
          `${dependencyPlugin}:copy`,
          `-Dartifact=io.apicurio:apicurio-registry-app:${versions.apicurio}:tar.gz:all`,
          `-DoutputDirectory=${download}`,
        ],
        cwd: tmpDir,
        env,
        logFile,
        timeoutMs: 30 * 60_000,
        hint: mavenHint,
      });
    } catch (error) {
      progress.fail('failed');
      throw error;
    } finally {
      clearInterval(poll);
    }
    progress.finish('downloaded');
    const archive = join(download, `apicurio-registry-app-${versions.apicurio}-all.tar.gz`);
    await runCommand({
      component: 'registry',
      command: 'tar',
      args: ['-xzf', archive, '-C', tmpDir],
      cwd: tmpDir,
      env,
      logFile,
      timeoutMs: 5 * 60_000,
      hint: 'The downloaded archive is damaged: run `npm run stack -- provision` again.',
    });
    await rm(download, { recursive: true, force: true });
    if (!existsSync(join(tmpDir, 'quarkus-run.jar')))
      throw new PlatformError(
        'FANOUT_PLATFORM_PROVISION_FAILED',
        'registry',
        'the Apicurio archive has no quarkus-run.jar',
        'Run `npm run stack -- provision` again; if it persists, the artifact layout changed.',
      );
  },
};

const jaegerPackage = 'github.com/jaegertracing/jaeger/cmd/jaeger';

const jaegerRecipe: Recipe = {
  component: 'jaeger',
  entry: `jaeger-${versions.jaeger}`,
  describe: `Jaeger ${versions.jaeger} (v2), built with Go from the module proxy (a few minutes on 2 cores)`,
  prerequisites: (env) => void requireTool('go', 'jaeger', env),
  async build(tmpDir, { log, env, logFile }) {
    const moduleDir = join(tmpDir, 'src');
    await mkdir(moduleDir, { recursive: true });
    // A tool module, because `go install pkg@version` refuses a module with a replace directive.
    await writeFile(
      join(moduleDir, 'go.mod'),
      `module fanout.local/jaeger-tool\n\ngo 1.26\n\nreplace ${versions.jaegerSaramaReplace}\n`,
    );
    await writeFile(
      join(moduleDir, 'tools.go'),
      `//go:build tools\n\npackage tools\n\nimport _ "${jaegerPackage}"\n`,
    );
    const goEnv = { ...env, GOWORK: 'off', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
    const hint =
      'Check the network to the Go module proxy (https://proxy.golang.org) and run `npm run stack -- provision` again.';
    const fetching = startProgress('jaeger: fetching Go modules', log);
    let modules = 0;
    try {
      for (const args of [
        ['get', `github.com/jaegertracing/jaeger@${versions.jaeger}`],
        ['mod', 'tidy'],
      ])
        await runCommand({
          component: 'jaeger',
          command: 'go',
          args,
          cwd: moduleDir,
          env: goEnv,
          logFile,
          timeoutMs: 30 * 60_000,
          hint,
          onLine: (line) => {
            if (line.startsWith('go: downloading'))
              fetching.update(++modules, undefined, 'modules downloaded');
          },
        });
    } catch (error) {
      fetching.fail('failed');
      throw error;
    }
    fetching.finish('done');
    const list = spawnSync('go', ['list', '-deps', jaegerPackage], {
      cwd: moduleDir,
      env: goEnv,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const total = list.status === 0 ? list.stdout.split('\n').filter(Boolean).length : undefined;
    const building = startProgress('jaeger: compiling packages', log);
    let compiled = 0;
    try {
      await runCommand({
        component: 'jaeger',
        command: 'go',
        args: ['build', '-v', '-o', join(tmpDir, 'jaeger'), jaegerPackage],
        cwd: moduleDir,
        env: goEnv,
        logFile,
        timeoutMs: 60 * 60_000,
        hint: `The Go build failed; see the log. ${hint}`,
        onLine: (line) => {
          if (/^[\w.-]+(\/[\w.@~-]+)*$/.test(line.trim()))
            building.update(++compiled, total, 'packages (cached ones are skipped)');
        },
      });
    } catch (error) {
      building.fail('failed');
      throw error;
    }
    building.finish('built');
  },
};

const recipes: Record<ComponentName, Recipe> = {
  kafka: kafkaRecipe,
  registry: apicurioRecipe,
  jaeger: jaegerRecipe,
};

async function ensureEntry(
  recipe: Recipe,
  options: Required<Omit<ProvisionOptions, 'components'>>,
): Promise<string> {
  const root = cacheRoot(options.env);
  const dir = join(root, recipe.entry);
  const check = await checkCacheEntry(dir, { deep: options.deep });
  if (check.state === 'complete') return dir;
  if (check.state === 'corrupt') {
    options.log(
      `  ! ${recipe.component}: cache entry ${dir} is corrupt (${check.reason}); provisioning it again`,
    );
    await discardCacheEntry(dir);
  }
  recipe.prerequisites(options.env);
  const started = Date.now();
  options.log(`▶ provisioning ${recipe.describe} into ${dir}`);
  const logFile = join(root, 'logs', `${recipe.entry}.log`);
  const result = await populateCacheEntry(root, recipe.entry, (tmp) =>
    recipe.build(tmp, { log: options.log, env: options.env, logFile }),
  );
  options.log(`✔ ${recipe.component} provisioned in ${formatElapsed(Date.now() - started)}`);
  return result;
}

/**
 * Makes sure every requested component is in the cache, provisioning what is missing or
 * corrupt. Idempotent: with a complete cache it only checks the completion markers.
 */
export async function provision(options: ProvisionOptions = {}): Promise<ProvisionedPaths> {
  const compiled = {
    deep: options.deep ?? false,
    log: options.log ?? console.log,
    env: options.env ?? process.env,
  };
  const components = options.components ?? allComponents;
  const root = cacheRoot(compiled.env);
  const paths: ProvisionedPaths = {
    kafkaLibs: join(root, kafkaRecipe.entry, 'libs'),
    apicurioJar: join(root, apicurioRecipe.entry, 'quarkus-run.jar'),
    jaegerBinary: join(root, jaegerRecipe.entry, 'jaeger'),
  };
  // One at a time: the two cores are better spent on one download or build than on three.
  // Every missing tool is reported before any download starts, not after the first two.
  for (const component of components) {
    const check = await checkCacheEntry(join(root, recipes[component].entry));
    if (check.state !== 'complete') recipes[component].prerequisites(compiled.env);
  }
  for (const component of components) await ensureEntry(recipes[component], compiled);
  return paths;
}
