import { boundedMemo } from '@fanout/service-kit';

/**
 * The canonical form of a BCP 47 language tag, as Intl gives it (a Unicode BCP 47 locale
 * identifier): `pt-br` → `pt-BR`, `iw` → `he`, `zh-Hant-TW` as is; `undefined` for anything
 * that is not one (`en_GB`, `english please`, `abc-de-fg-hi`). Intl does the parsing, so
 * extensions (`en-US-u-ca-gregory`) and variants (`de-CH-1996`) are accepted and malformed
 * subtag sequences are not, which no single regex got right.
 *
 * Users send a handful of distinct tags: the answers are remembered, bounded so junk cannot grow it.
 */
export const canonicalLanguageTag: (tag: string) => string | undefined = boundedMemo(canonicalOf);

function canonicalOf(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}
