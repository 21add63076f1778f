import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistryClient } from './schema-registry-client';

// A stand-in registry that answers each path with a fixed status, to pin the error mapping.
const answers: Record<string, [number, unknown]> = {
  '/schemas/ids/7': [404, { error_code: 40403, message: 'Schema 7 not found' }],
  '/subjects/s-conflict/versions': [409, { error_code: 409, message: 'Incompatible artifact' }],
  '/subjects/s-invalid/versions': [422, { error_code: 42201, message: 'Invalid schema' }],
  '/subjects/s-denied/versions': [401, { message: 'Unauthorized' }],
  '/subjects/s-broken/versions': [503, { message: 'Service Unavailable' }],
  '/subjects/s-bad/versions': [400, { message: 'Bad request' }],
};

let server: Server;
let client: SchemaRegistryClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, body] = answers[req.url ?? ''] ?? [500, { message: 'unexpected' }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new SchemaRegistryClient({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
  });
});
afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('SchemaRegistryClient error mapping', () => {
  it('maps an unknown schema id to non-retriable FANOUT_UNKNOWN_SCHEMA_ID', async () => {
    await expect(client.schemaById(7)).rejects.toMatchObject({
      code: 'FANOUT_UNKNOWN_SCHEMA_ID',
      retriable: false,
    });
  });

  it.each([
    ['s-conflict', 'FANOUT_SCHEMA_INCOMPATIBLE', false, 'Incompatible artifact'],
    ['s-invalid', 'FANOUT_SCHEMA_INVALID', false, 'Invalid schema'],
    ['s-denied', 'FANOUT_CONFIG_INVALID', false, 'HTTP 401'],
    ['s-bad', 'FANOUT_REGISTRY_REQUEST_FAILED', false, 'HTTP 400'],
    ['s-broken', 'FANOUT_REGISTRY_UNAVAILABLE', true, 'HTTP 503'],
  ])('maps register on %s to %s (retriable: %s)', async (subject, code, retriable, text) => {
    const error = await client.register(subject, '"string"').catch((e: unknown) => e);
    expect(error).toMatchObject({ code, retriable });
    expect((error as Error).message).toContain(text);
  });
});
