import { describe, expect, it } from 'vitest';
import { fieldPath, toFieldErrors } from './validation-errors';

describe('validation errors', () => {
  it('names nested array fields the way a client writes them', () => {
    expect(fieldPath('/items/0/quantity')).toBe('items[0].quantity');
    expect(fieldPath('/shippingAddress', 'city')).toBe('shippingAddress.city');
  });

  it('names the missing property, the unknown property and the enum field', () => {
    const errors = toFieldErrors([
      { keyword: 'required', instancePath: '', params: { missingProperty: 'email' } },
      { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'role' } },
      { keyword: 'enum', instancePath: '/currency', params: { allowedValues: ['EUR', 'USD'] } },
      {
        keyword: 'format',
        instancePath: '/email',
        params: {},
        message: 'must match format "email"',
      },
    ]);
    expect(errors).toEqual([
      { field: 'email', message: 'is required' },
      { field: 'role', message: 'is not an allowed field' },
      { field: 'currency', message: 'must be one of EUR, USD' },
      { field: 'email', message: 'must match format "email"' },
    ]);
  });

  it('names the body itself when the whole body has the wrong type', () => {
    expect(
      toFieldErrors([{ keyword: 'type', instancePath: '', params: {}, message: 'must be object' }]),
    ).toEqual([{ field: '(body)', message: 'must be object' }]);
  });
});
