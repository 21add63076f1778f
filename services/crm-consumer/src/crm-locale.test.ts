import { describe, expect, it } from 'vitest';
import { crmLocale } from './crm-locale';

/** What the sandbox CRM's PUT /v1/contacts takes: a string of at most 20 characters. */
const CRM_LOCALE_MAX_LENGTH = 20;
const LANGUAGE_REGION = /^[a-z]{2,8}(-([A-Z]{2}|\d{3}))?$/;

describe('crmLocale', () => {
  it('keeps language-region tags as they are', () => {
    expect(crmLocale('en-GB')).toBe('en-GB');
    expect(crmLocale('pt-BR')).toBe('pt-BR');
    expect(crmLocale('de-CH')).toBe('de-CH');
    expect(crmLocale('es-419')).toBe('es-419');
  });

  it('drops script, variants and extensions, keeping the region', () => {
    expect(crmLocale('zh-Hant-TW')).toBe('zh-TW');
    expect(crmLocale('de-CH-1996')).toBe('de-CH');
    expect(crmLocale('en-US-u-ca-gregory-nu-latn')).toBe('en-US');
  });

  it('adds the likely region to a tag without one', () => {
    expect(crmLocale('en')).toBe('en-US');
    expect(crmLocale('pt')).toBe('pt-BR');
    expect(crmLocale('zh-Hant')).toBe('zh-TW');
    expect(crmLocale('sr-Latn')).toBe('sr-RS');
  });

  it('keeps a language without a likely region alone', () => {
    expect(crmLocale('tlh')).toBe('tlh');
  });

  it('gives undefined for und and for what is not a tag, so the locale is left out', () => {
    expect(crmLocale('und')).toBeUndefined();
    expect(crmLocale('en_GB')).toBeUndefined();
    expect(crmLocale('english please')).toBeUndefined();
    expect(crmLocale('')).toBeUndefined();
  });

  it('always fits what the CRM takes, for every tag user-service accepts', () => {
    // user-service takes up to 35 characters; the CRM 20: a long valid tag used to be a 400.
    for (const tag of [
      'en-US-u-ca-gregory-nu-latn',
      'zh-Hant-TW-u-co-pinyin',
      'ja-JP-u-ca-japanese-x-priv',
      'sl-IT-rozaj-biske-1994',
      'ar-001',
      'he',
      'fil',
    ]) {
      const mapped = crmLocale(tag);
      expect(mapped, tag).toMatch(LANGUAGE_REGION);
      expect(mapped!.length, tag).toBeLessThanOrEqual(CRM_LOCALE_MAX_LENGTH);
    }
  });
});

describe('crmLocale memo', () => {
  it('gives the same answer for a tag seen before, including tags it cannot map', () => {
    for (let round = 0; round < 2; round += 1) {
      expect(crmLocale('zh-Hant')).toBe('zh-TW');
      expect(crmLocale('not a tag')).toBeUndefined();
      expect(crmLocale('und')).toBeUndefined();
    }
  });

  it('stays right after more distinct tags than it remembers', () => {
    for (let i = 0; i < 1_200; i += 1) crmLocale(`x-private${i}`);
    expect(crmLocale('en-GB')).toBe('en-GB');
    expect(crmLocale('en')).toBe('en-US');
  });
});
