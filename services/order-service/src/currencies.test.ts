import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, fromMinorUnits, toMinorUnits } from './currencies';

describe('currencies', () => {
  it('knows the common ISO 4217 codes and not made-up or metal codes', () => {
    for (const code of ['EUR', 'USD', 'JPY', 'GBP', 'KWD']) expect(CURRENCY_CODES).toContain(code);
    for (const code of ['XXX', 'ABC', 'XAU', 'eur']) expect(CURRENCY_CODES).not.toContain(code);
  });

  it("converts prices to minor units by each currency's exponent, without float drift", () => {
    expect(toMinorUnits(19.99, 'EUR')).toBe(1999);
    expect(toMinorUnits(0.1 + 0.2, 'EUR')).toBe(30);
    expect(toMinorUnits(500, 'JPY')).toBe(500);
    expect(toMinorUnits(1.234, 'KWD')).toBe(1234);
    expect(fromMinorUnits(1999, 'EUR')).toBe(19.99);
  });

  it('refuses a price with more decimals than the currency has', () => {
    expect(toMinorUnits(1.005, 'EUR')).toBeUndefined();
    expect(toMinorUnits(1.5, 'JPY')).toBeUndefined();
  });
});
