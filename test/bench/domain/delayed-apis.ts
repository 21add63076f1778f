import { createServer } from 'node:http';
import type { Server } from 'node:http';

/** Fixed latencies of the four fan-out APIs in the baseline, in call order. */
export const API_LATENCIES_MS = { email: 200, crm: 300, analytics: 150, search: 100 } as const;

/**
 * A stand-in for the four downstream APIs: each path answers 200 JSON after its fixed delay.
 * Deterministic on purpose, so the baseline's cost is exactly the sum of the latencies.
 */
export function startDelayedApis(port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const api = (request.url ?? '').split('/')[1] as keyof typeof API_LATENCIES_MS;
    const delay = API_LATENCIES_MS[api];
    request.resume();
    request.on('end', () => {
      if (delay === undefined) {
        response.writeHead(404).end();
        return;
      }
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, delay);
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      resolve({ server, url: `http://127.0.0.1:${boundPort}` });
    });
  });
}
