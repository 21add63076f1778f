import { CURRENCY_CODES } from './currencies';

const text = (maxLength: number) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: '\\S' }) as const;

/**
 * JSON Schemas of the HTTP API. Unknown fields are refused, quantities and prices must be
 * positive, and the currency must be an ISO 4217 code: each failure is a 400 naming the field.
 */
export const placeOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['customerId', 'items', 'currency', 'shippingAddress'],
  properties: {
    customerId: { type: 'string', format: 'uuid' },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'quantity', 'unitPrice'],
        properties: {
          sku: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          quantity: { type: 'integer', minimum: 1, maximum: 10_000 },
          unitPrice: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000_000 },
        },
      },
    },
    currency: { type: 'string', enum: CURRENCY_CODES },
    shippingAddress: {
      type: 'object',
      additionalProperties: false,
      required: ['recipientName', 'line1', 'city', 'postalCode', 'country'],
      properties: {
        recipientName: text(200),
        line1: text(200),
        line2: { type: 'string', maxLength: 200 },
        city: text(100),
        postalCode: text(20),
        region: { type: 'string', maxLength: 100 },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
  },
} as const;

export const orderIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;
