import type { Catalog } from './catalog';
import { createCatalog } from './catalog';
import { catalogData } from './generated/catalog-data';

let compiled: Catalog | undefined;

/** The catalog generated from schemas/ by `npm run codegen`: no files are read at run time. */
export function defaultCatalog(): Catalog {
  compiled ??= createCatalog(catalogData, 'libs/contracts/src/generated/catalog-data.ts');
  return compiled;
}
