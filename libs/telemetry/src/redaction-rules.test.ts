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

  it('replaces the value of any query parameter the key rules call sensitive, not only a fixed list', () => {
    // Names clients really send: a header name as a parameter, OAuth's secret, personal fields.
    expect(
      scrubString(
        '/users?x-api-key=dk1&client_secret=s2&phone=%2B49+151&full_name=Ada+L&user_name=ada&page=2',
      ),
    ).toBe(
      `/users?x-api-key=${REDACTED}&client_secret=${REDACTED}&phone=${REDACTED}&full_name=${REDACTED}&user_name=${REDACTED}&page=2`,
    );
    // Any case, percent-encoded names, `;` separators, and the short names kept from before.
    expect(scrubString('/x?API_KEY=a&%70assword=b;sessionId=c&key=d&sig=e&reference=r-1')).toBe(
      `/x?API_KEY=${REDACTED}&%70assword=${REDACTED};sessionId=${REDACTED}&key=${REDACTED}&sig=${REDACTED}&reference=r-1`,
    );
    // A bare query string, as in the url.query span attribute.
    expect(scrubString('x-api-key=dk1&page=2')).toBe(`x-api-key=${REDACTED}&page=2`);
    // Non-personal parameters stay readable, empty values stay empty.
    const plain = '/v1/messages?reference=ord-1&user_id=u-1&name=welcome&token=';
    expect(scrubString(plain)).toBe(plain);
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
