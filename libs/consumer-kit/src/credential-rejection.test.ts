import { describe, expect, it } from 'vitest';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { credentialRejection } from './credential-rejection';

const clientError = (status: number) =>
  new NonRetriableError('FANOUT_API_CLIENT_ERROR', `crm answered ${status}`, {
    details: { api: 'crm', operation: 'upsertContact', status },
  });

describe('credentialRejection', () => {
  it('turns 401 and 403 into a retriable FANOUT_API_UNAUTHORIZED', () => {
    for (const status of [401, 403]) {
      expect(credentialRejection(clientError(status))).toMatchObject({
        code: 'FANOUT_API_UNAUTHORIZED',
        retriable: true,
        details: { api: 'crm', status },
      });
    }
  });

  it('leaves every other failure alone, so a 400 still dead-letters', () => {
    expect(credentialRejection(clientError(400))).toBeUndefined();
    expect(credentialRejection(clientError(404))).toBeUndefined();
    expect(
      credentialRejection(new RetriableError('FANOUT_API_SERVER_ERROR', '503')),
    ).toBeUndefined();
    expect(credentialRejection(new Error('boom'))).toBeUndefined();
  });
});
