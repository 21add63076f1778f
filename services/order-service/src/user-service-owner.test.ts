import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@fanout/telemetry';
import { userServiceOwner } from './user-service-owner';

// A local HTTP server answering as user-service's GET /users/:id would: the mapping of statuses
// and failures to answers is what is under test.
const seen: Array<{ url: string | undefined; key: string | undefined }> = [];
const server = createServer((req, res) => {
  seen.push({ url: req.url, key: req.headers['x-api-key'] as string | undefined });
  if (req.url === '/users/known') res.writeHead(200).end('{"id":"known"}');
  else if (req.url === '/users/slow') setTimeout(() => res.writeHead(200).end('{}'), 1_000);
  else if (req.url === '/users/broken') res.writeHead(500).end('{}');
  else res.writeHead(404).end('{}');
});
let url = '';
const logger = createLogger({ name: 'test', level: 'silent' });

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('userServiceOwner', () => {
  const owner = () => userServiceOwner({ url, apiKey: 'k-1', timeoutMs: 200, logger });

  it('says known on 200 and unknown on 404, asking GET /users/:id with the API key', async () => {
    expect(await owner()('known')).toBe('known');
    expect(await owner()('nobody')).toBe('unknown');
    expect(seen.slice(-2)).toEqual([
      { url: '/users/known', key: 'k-1' },
      { url: '/users/nobody', key: 'k-1' },
    ]);
  });

  it('says unavailable on a 5xx, a timeout or a refused connection, never unknown', async () => {
    expect(await owner()('broken')).toBe('unavailable');
    expect(await owner()('slow')).toBe('unavailable');
    const closed = userServiceOwner({
      url: 'http://127.0.0.1:1',
      apiKey: 'k',
      timeoutMs: 200,
      logger,
    });
    expect(await closed('known')).toBe('unavailable');
  });
});
