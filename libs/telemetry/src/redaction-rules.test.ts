import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  REDACTED_EMAIL,
  isSensitiveKey,
  redactValue,
  scrubString,
} from './redaction-rules';

describe('isSensitiveKey', () => {
  it.each([
    'authorization',
    'http.request.header.authorization',
    'http.request.header.cookie',
    'http.response.header.set-cookie',
    'x-api-key',
    'api_key',
    'apiKey',
    'password',
    'db.password',
    'refreshToken',
    'client_secret',
    'email',
    'user.email',
    'contactEmail',
    'user.phone',
    'phoneNumber',
    'firstName',
    'user.last_name',
    'user.name',
    'customer.name',
    'shippingAddress',
    'shipping.address',
    'address.street',
    'billing.city',
    'postalCode',
    'dateOfBirth',
  ])('treats %s as personal data or a secret', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each([
    'service.name',
    'messaging.destination.name',
    'server.address',
    'client.address',
    'network.peer.address',
    'http.route',
    'url.path',
    'user.id',
    'order.id',
    'http.request.header.idempotency-key',
    'messaging.message.conversation_id',
    'fanout.event_type',
    'city',
    'remoteAddress',
    'req.serverAddress',
  ])('keeps %s readable', (key) => {
    expect(isSensitiveKey(key)).toBe(false);
  });
});

describe('scrubString', () => {
  it('replaces every email in free text, encoded or not', () => {
    expect(scrubString('mail to ada@example.com and bob.smith+x@mail.example.org')).toBe(
      `mail to ${REDACTED_EMAIL} and ${REDACTED_EMAIL}`,
    );
    expect(scrubString('/users?who=ada%40example.com')).toContain(REDACTED_EMAIL);
  });

  it('replaces bearer and basic credentials but keeps the scheme', () => {
    expect(scrubString('Authorization: Bearer abc.def-123')).toBe(
      `Authorization: Bearer ${REDACTED}`,
    );
    expect(scrubString('Basic dXNlcjpwYXNz')).toBe(`Basic ${REDACTED}`);
  });

  it('replaces credentials in URLs and secret query parameters', () => {
    expect(scrubString('https://svc:hunter2@api.example.com/x')).toBe(
      `https://${REDACTED}@api.example.com/x`,
    );
    expect(scrubString('/v1/search?q=boots&api_key=k123&token=t456')).toBe(
      `/v1/search?q=boots&api_key=${REDACTED}&token=${REDACTED}`,
    );
  });

  it('keeps a JSON line valid: no replacement crosses into the next field', () => {
    const line = JSON.stringify({
      url: '/u?email=ada%40example.com',
      target: 'https://svc:pw@api.example.com',
      auth: 'Bearer abc',
      host: '127.0.0.1:3001',
    });
    const parsed = JSON.parse(scrubString(line)) as Record<string, string>;
    expect(parsed).toEqual({
      url: `/u?email=${REDACTED}`,
      target: `https://${REDACTED}@api.example.com`,
      auth: `Bearer ${REDACTED}`,
      host: '127.0.0.1:3001',
    });
  });

  it('leaves text without personal data unchanged', () => {
    const text = 'GET /users/:id 200 in 12ms (order 7c9e6679-7425-40de-944b-e07fc1f90ae7)';
    expect(scrubString(text)).toBe(text);
  });
});

describe('redactValue', () => {
  it('replaces the whole value of a sensitive key, of any type', () => {
    expect(redactValue('user.phone', 4420794609)).toBe(REDACTED);
    expect(redactValue('http.request.header.cookie', ['a=b'])).toBe(REDACTED);
  });

  it('scrubs string and string-array values of other keys', () => {
    expect(redactValue('exception.message', 'duplicate ada@example.com')).toBe(
      `duplicate ${REDACTED_EMAIL}`,
    );
    expect(redactValue('tags', ['ok', 'ada@example.com'])).toEqual(['ok', REDACTED_EMAIL]);
    expect(redactValue('http.response.status_code', 200)).toBe(200);
  });
});
