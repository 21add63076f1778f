import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Where `npm run build` writes: `dist/<service>/main.mjs` (and its source map). */
export function buildDir(root: string): string {
  return join(root, 'dist');
}

/** The compiled entry of one service (what `node` runs under `npm start` and in the image). */
export function compiledServiceEntry(root: string, name: string): string {
  return join(buildDir(root), name, 'main.mjs');
}

/**
 * The services the build compiles: every `services/<name>/src/main.ts` on disk. Found, not
 * listed, so a new service is built without editing this file; a unit test compares the list
 * with the service catalog.
 */
export function buildEntries(root: string): string[] {
  const servicesDir = join(root, 'services');
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(servicesDir, d.name, 'src', 'main.ts')))
    .map((d) => d.name)
    .sort();
}

/**
 * Workspace packages (`@fanout/*`, TypeScript source) are bundled; every other package stays an
 * `import` of node_modules at run time: native better-sqlite3 must, and the OpenTelemetry
 * instrumentations patch modules as they are required, which only works on the real modules.
 */
const externalPackages: Plugin = {
  name: 'fanout-external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@fanout/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

export interface BuildOptions {
  /** Default `dist/` under root. */
  outDir?: string;
  /** Default every service of buildEntries. */
  services?: readonly string[];
}

export interface BuildResult {
  outDir: string;
  services: string[];
}

/**
 * Compiles each service's src/main.ts, with the libs it imports, into one ES module
 * `<outDir>/<service>/main.mjs` (esbuild, Node 20 target, source maps). Nothing else is read
 * from the checkout at run time: the Avro schemas are compiled in (libs/contracts' generated code).
 */
export async function buildServices(
  root: string,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const outDir = options.outDir ?? buildDir(root);
  const services = [...(options.services ?? buildEntries(root))];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await Promise.all(
    services.map((name) =>
      build({
        absWorkingDir: root,
        entryPoints: [join(root, 'services', name, 'src', 'main.ts')],
        outfile: join(outDir, name, 'main.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: true,
        logLevel: 'warning',
        plugins: [externalPackages],
      }),
    ),
  );
  return { outDir, services };
}
