// `npm run check:contracts`: the catalog, the schemas, the generated code and the schema gate.
import { checkContracts } from '../contracts-check';

const result = checkContracts();
for (const line of result.passed) console.log(`✔ ${line}`);
for (const warning of result.warnings) console.warn(`! ${warning}`);
for (const failure of result.failures) console.error(`✘ ${failure}`);
process.exit(result.ok ? 0 : 1);
