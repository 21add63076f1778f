import { boundedMemo } from '@fanout/service-kit';

/**
 * A user's BCP 47 language tag as the CRM takes it: language-region (`en-GB`, `pt-BR`,
 * `es-419`), at most 12 characters, well inside the sandbox CRM's limit (`PUT /v1/contacts`,
 * `locale` at most 20 characters). Intl parses the tag:
 *
 * - the region is the tag's own (`zh-Hant-TW` → `zh-TW`, `de-CH-1996` → `de-CH`), else the likely
 *   one (`en` → `en-US`, `zh-Hant` → `zh-TW`, `sr-Latn` → `sr-RS`; Intl.Locale#maximize, CLDR's
 *   likely subtags); script, variants and extensions are dropped;
 * - a language with no likely region stays the language alone (`tlh`);
 * - `und` (undetermined) and anything that is not a tag give `undefined`: the contact is then
 *   upserted without a locale (the field is optional) rather than refused and dead-lettered.
 *   user-service validates the tag, so this only covers events published by other means.
 *
 * Intl.Locale + maximize cost ~100 µs a call (4.6% of the consumer's CPU under load), and
 * real traffic carries a handful of distinct tags: the answers are remembered, bounded.
 */
export const crmLocale: (tag: string) => string | undefined = boundedMemo(mapLocale);

function mapLocale(tag: string): string | undefined {
  let locale: Intl.Locale;
  try {
    locale = new Intl.Locale(tag);
  } catch {
    return undefined;
  }
  const language = locale.language;
  if (!language || language === 'und') return undefined;
  const region = locale.region ?? locale.maximize().region;
  return region ? `${language}-${region}` : language;
}
