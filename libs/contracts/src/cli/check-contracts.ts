// `npm run check:contracts [-- --registry <ccompat base URL>]`: the catalog, the schemas, the
// generated code and the schema gate against git history; with --registry, also against the
// versions an environment's registry holds (run it before deploying there).
import { isFanoutError } from '@fanout/errors';
import { loadCatalog } from '../catalog-loader';
import { checkContracts } from '../contracts-check';
import { checkCatalogAgainstRegistry } from '../registry-gate';
import { formatGateReport } from '../schema-gate';
import { SchemaRegistryClient } from '../schema-registry-client';

const result = checkContracts();
for (const line of result.passed) console.log(`✔ ${line}`);
for (const warning of result.warnings) console.warn(`! ${warning}`);
for (const failure of result.failures) console.error(`✘ ${failure}`);
let ok = result.ok;

const flag = process.argv.indexOf('--registry');
const registryUrl = flag >= 0 ? process.argv[flag + 1] : undefined;
if (flag >= 0 && !registryUrl) {
  console.error(
    '✘ --registry needs the registry base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7',
  );
  ok = false;
} else if (registryUrl && result.ok) {
  const registry = new SchemaRegistryClient({ url: registryUrl });
  const catalog = loadCatalog();
  try {
    for (const report of await checkCatalogAgainstRegistry(registry, catalog)) {
      if (report.problems.length === 0)
        console.log(
          `✔ ${report.schema}: ${catalog.compatibility} with ${report.compared} registered version(s)`,
        );
      else {
        ok = false;
        console.error(`✘ ${formatGateReport(report, catalog.compatibility)}`);
      }
    }
  } catch (error) {
    ok = false;
    console.error(
      `✘ registry check failed: ${isFanoutError(error) ? error.message : String(error)}`,
    );
  } finally {
    await registry.close();
  }
}
process.exit(ok ? 0 : 1);
