import { describe, expect, it } from 'vitest';
import { canonicalLanguageTag } from './language-tag';

describe('canonicalLanguageTag', () => {
  it('accepts BCP 47 tags and gives their canonical form', () => {
    expect(canonicalLanguageTag('en')).toBe('en');
    expect(canonicalLanguageTag('pt-BR')).toBe('pt-BR');
    expect(canonicalLanguageTag('pt-br')).toBe('pt-BR');
    expect(canonicalLanguageTag('EN-gb')).toBe('en-GB');
    expect(canonicalLanguageTag('zh-Hant-TW')).toBe('zh-Hant-TW');
    expect(canonicalLanguageTag('de-CH')).toBe('de-CH');
    expect(canonicalLanguageTag('es-419')).toBe('es-419');
    expect(canonicalLanguageTag('iw')).toBe('he');
  });

  it('accepts variants and extensions the old pattern refused', () => {
    expect(canonicalLanguageTag('de-CH-1996')).toBe('de-CH-1996');
    expect(canonicalLanguageTag('en-US-u-ca-gregory')).toBe('en-US-u-ca-gregory');
  });

  it('refuses what is not a tag, including what the old pattern let through', () => {
    for (const garbage of [
      '',
      'e',
      'english please',
      'en_GB',
      ' en',
      'abcdefghi',
      'abc-de-fg-hi', // matched ^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$
      'de-1996-1996',
      'x-private',
    ]) {
      expect(canonicalLanguageTag(garbage), garbage).toBeUndefined();
    }
  });
});

describe('canonicalLanguageTag, asked again', () => {
  it('gives the same answer the second time, for tags and for garbage', () => {
    for (const tag of ['pt-br', 'iw', 'en_GB', 'x-private']) {
      expect(canonicalLanguageTag(tag)).toBe(canonicalLanguageTag(tag));
    }
    expect(canonicalLanguageTag('pt-br')).toBe('pt-BR');
    expect(canonicalLanguageTag('en_GB')).toBeUndefined();
  });
  it('still answers right after more distinct tags than it remembers', () => {
    for (let i = 0; i < 1_500; i += 1) canonicalLanguageTag(`en-x-${i.toString(36)}`);
    expect(canonicalLanguageTag('EN-gb')).toBe('en-GB');
    expect(canonicalLanguageTag('english please')).toBeUndefined();
  });
});
