/**
 * JSON Schemas of the HTTP API. Unknown fields are refused (additionalProperties: false), so a
 * typo such as `marketingConsnet` is a 400 naming the field, not silently ignored.
 */
export const registerUserBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'name'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
    marketingConsent: { type: 'boolean' },
    // BCP 47, e.g. en, pt-BR, zh-Hant-TW: parsed by Intl in registerUser (canonicalLanguageTag).
    locale: { type: 'string', minLength: 1, maxLength: 35 },
  },
} as const;

export const userIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;
