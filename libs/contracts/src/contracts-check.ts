import { join, relative } from 'node:path';
import { isFanoutError } from '@fanout/errors';
import { createCatalog } from './catalog';
import {
  defaultSchemasDir,
  listSchemaFiles,
  readCatalogData,
  readSchemaFile,
} from './catalog-loader';
import { runCodegen } from './codegen/codegen';
import { EVENT_METADATA_FILE, findMetadataDrift } from './metadata-embedding';
import { checkSchemaEvolution, formatGateReport } from './schema-gate';
import { gitRoot, isShallowClone, readSchemaHistory } from './schema-history';

export interface ContractsCheckResult {
  ok: boolean;
  /** One line (or block) per finding, readable as is. */
  failures: string[];
  /** What passed, for the log. */
  passed: string[];
  /** Worth a look but not a failure, e.g. a schema file no catalog entry uses yet. */
  warnings: string[];
}

/**
 * Everything `npm run check:contracts` proves: the catalog and every schema load; every event
 * embeds exactly the common EventMetadata; generated code is fresh; and every schema is
 * compatible, at the catalog's level, with all of its versions in git history.
 */
export function checkContracts(
  options: { schemasDir?: string; generatedDir?: string } = {},
): ContractsCheckResult {
  const schemasDir = options.schemasDir ?? defaultSchemasDir();
  const failures: string[] = [];
  const passed: string[] = [];
  const warnings: string[] = [];
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch (error) {
      failures.push(isFanoutError(error) ? error.message : String(error));
    }
  };

  let level = createCatalogLevel(schemasDir, failures, passed);
  attempt(() => {
    const data = readCatalogData(schemasDir);
    const drift = findMetadataDrift(data, readSchemaFile(schemasDir, EVENT_METADATA_FILE));
    if (drift.length > 0) failures.push(...drift);
    else passed.push(`every event embeds schemas/${EVENT_METADATA_FILE} exactly`);
  });
  attempt(() => {
    const { changed } = runCodegen({
      schemasDir,
      ...(options.generatedDir ? { outDir: options.generatedDir } : {}),
      check: true,
    });
    if (changed.length > 0)
      failures.push(
        `generated contracts are stale (${changed.join(', ')}): run \`npm run codegen\` and commit the result`,
      );
    else passed.push('generated contracts are up to date');
  });

  level ??= 'FULL_TRANSITIVE';
  attempt(() => {
    const data = readCatalogData(schemasDir);
    const used = new Set(Object.values(data.events).map((e) => e.schemaFile));
    for (const file of listSchemaFiles(schemasDir))
      if (!used.has(file) && !file.startsWith('common/'))
        warnings.push(`schemas/${file} is in no catalog entry: add it to schemas/catalog.yaml`);
  });
  let root: string;
  try {
    root = gitRoot(schemasDir);
  } catch {
    failures.push(
      `the schema gate needs the git history of ${schemasDir}, and it is not in a git work tree`,
    );
    return { ok: false, failures, passed, warnings };
  }
  if (isShallowClone(root))
    warnings.push(
      'shallow git clone: the schema gate sees only the fetched history (run `git fetch --unshallow`)',
    );
  for (const file of listSchemaFiles(schemasDir)) {
    attempt(() => {
      const path = join(schemasDir, file);
      const current = readSchemaFile(schemasDir, file);
      const history = readSchemaHistory(root, relative(root, path));
      const report = checkSchemaEvolution(`schemas/${file}`, current, history, level);
      if (report.problems.length > 0) failures.push(formatGateReport(report, level));
      else passed.push(`schemas/${file}: ${level} with ${report.compared} earlier version(s)`);
    });
  }
  return { ok: failures.length === 0, failures, passed, warnings };
}

function createCatalogLevel(
  schemasDir: string,
  failures: string[],
  passed: string[],
): ReturnType<typeof createCatalog>['compatibility'] | undefined {
  try {
    const catalog = createCatalog(readCatalogData(schemasDir));
    passed.push(`catalog: ${catalog.events.length} events on ${catalog.topics.length} topics`);
    return catalog.compatibility;
  } catch (error) {
    failures.push(isFanoutError(error) ? error.message : String(error));
    return undefined;
  }
}
