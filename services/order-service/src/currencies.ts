import { isKnownCurrency } from '@fanout/contracts';

/**
 * Active ISO 4217 currency codes and their minor-unit exponents (ISO 4217 list, 2025). Funds
 * and precious metals (XAU, XDR, ...) are not currencies an order is priced in. Codes the Avro
 * `iso-4217` logical type does not know (Node's ICU may lag the standard) are left out, so an
 * accepted order can always be encoded.
 */
const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';
const EXPONENT_2 = `AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN
  BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP
  GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP
  LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD
  PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
  SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG`;

const table = new Map<string, number>();
for (const [codes, exponent] of [
  [EXPONENT_0, 0],
  [EXPONENT_2, 2],
  [EXPONENT_3, 3],
  [EXPONENT_4, 4],
] as const) {
  for (const code of codes.split(/\s+/).filter(Boolean))
    if (isKnownCurrency(code)) table.set(code, exponent);
}

export const CURRENCY_CODES: readonly string[] = [...table.keys()].sort();

/** Digits after the decimal point of a currency's minor unit (2 for EUR, 0 for JPY). */
export function minorUnitExponent(currency: string): number {
  const exponent = table.get(currency);
  if (exponent === undefined) throw new Error(`unknown currency ${currency}`);
  return exponent;
}

/**
 * A price in major units (12.34) as an integer of minor units (1234), or undefined when it has
 * more decimals than the currency allows (12.345 EUR).
 */
export function toMinorUnits(amount: number, currency: string): number | undefined {
  const scaled = amount * 10 ** minorUnitExponent(currency);
  const rounded = Math.round(scaled);
  return Math.abs(scaled - rounded) < 1e-6 && Number.isSafeInteger(rounded) ? rounded : undefined;
}

export function fromMinorUnits(minor: number, currency: string): number {
  const exponent = minorUnitExponent(currency);
  return Number((minor / 10 ** exponent).toFixed(exponent));
}
