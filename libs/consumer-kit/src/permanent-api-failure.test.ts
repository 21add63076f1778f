import { describe, expect, it } from 'vitest';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { permanentApiFailure } from './permanent-api-failure';

describe('permanentApiFailure', () => {
  it('turns a permanent API error into an API_ERROR failure reply naming code and status', () => {
    const error = new NonRetriableError('FANOUT_API_CLIENT_ERROR', 'api: op answered 400', {
      details: { status: 400, body: '{"card":"4242"}' },
    });
    expect(permanentApiFailure(error)).toEqual({
      code: 'API_ERROR',
      message: 'FANOUT_API_CLIENT_ERROR: api: op answered 400',
      retriable: false,
    });
  });

  it('treats an unreadable API answer as permanent too', () => {
    const error = new NonRetriableError('FANOUT_API_BAD_RESPONSE', 'api: op answered non-JSON');
    expect(permanentApiFailure(error)?.code).toBe('API_ERROR');
  });

  it('leaves retriable API errors to the runtime retries', () => {
    expect(permanentApiFailure(new RetriableError('FANOUT_API_SERVER_ERROR', '503'))).toBe(
      undefined,
    );
    expect(permanentApiFailure(new RetriableError('FANOUT_API_CIRCUIT_OPEN', 'open'))).toBe(
      undefined,
    );
  });

  it('leaves failures outside the API call (publishing, codec, plain errors) to the runtime', () => {
    expect(permanentApiFailure(new NonRetriableError('FANOUT_PAYLOAD_INVALID', 'x'))).toBe(
      undefined,
    );
    expect(permanentApiFailure(new Error('boom'))).toBe(undefined);
  });
});
