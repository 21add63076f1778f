/**
 * The canonical form of a BCP 47 language tag, as Intl gives it (a Unicode BCP 47 locale
 * identifier): `pt-br` → `pt-BR`, `iw` → `he`, `zh-Hant-TW` as is; `undefined` for anything
 * that is not one (`en_GB`, `english please`, `abc-de-fg-hi`). Intl does the parsing, so
 * extensions (`en-US-u-ca-gregory`) and variants (`de-CH-1996`) are accepted and malformed
 * subtag sequences are not, which no single regex got right.
 */
export function canonicalLanguageTag(tag: string): string | undefined {
  const known = cache.get(tag);
  if (known !== undefined || cache.has(tag)) return known;
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0];
  } catch {
    canonical = undefined;
  }
  // Users send a handful of distinct tags: remember them, bounded so junk cannot grow it.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(tag, canonical);
  return canonical;
}

const CACHE_LIMIT = 1_000;
const cache = new Map<string, string | undefined>();
