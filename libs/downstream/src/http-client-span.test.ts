import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { propagation, trace, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { DownstreamClient } from './client';
import { isSelfTracedOrigin } from './self-traced-origins';

let server: Server;
let baseUrl: string;
const traceparents: Array<string | undefined> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    traceparents.push(request.headers.traceparent as string | undefined);
    response.writeHead(request.url === '/v1/fail' ? 500 : 200, {
      'content-type': 'application/json',
    });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(async () => {
  propagation.disable();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  traceparents.length = 0;
  trace.disable();
});

function tracing(sampler: Sampler) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(provider);
  return { exporter, provider };
}

const schema = { safeParse: (data: unknown) => ({ success: true as const, data }) };

async function callOnce(client: DownstreamClient, path = '/v1/ok') {
  return client.call({
    operation: 'ping',
    method: 'PUT',
    path,
    body: { a: 1 },
    idempotencyKey: 'key-1',
    schema: schema as never,
  });
}

describe('DownstreamClient HTTP spans', () => {
  it('records a CLIENT span under the call span and sends its traceparent when sampled', async () => {
    const { exporter, provider } = tracing(new AlwaysOnSampler());
    const client = new DownstreamClient({ api: 'test', baseUrl, circuitBreaker: false });
    try {
      await callOnce(client);
      const spans = exporter.getFinishedSpans();
      const call = spans.find((s) => s.name === 'test ping')!;
      const http = spans.find((s) => s.kind === SpanKind.CLIENT)!;
      expect(http.name).toBe('PUT');
      expect(http.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
      expect(http.attributes).toMatchObject({
        'http.request.method': 'PUT',
        'http.response.status_code': 200,
        'url.full': `${baseUrl}/v1/ok`,
        'server.address': '127.0.0.1',
        'http.request.header.idempotency-key': ['key-1'],
      });
      expect(traceparents).toEqual([
        `00-${http.spanContext().traceId}-${http.spanContext().spanId}-01`,
      ]);
    } finally {
      await client.close();
      await provider.shutdown();
    }
  });

  it('marks an HTTP exchange answered 500 as an error span', async () => {
    const { exporter, provider } = tracing(new AlwaysOnSampler());
    const client = new DownstreamClient({
      api: 'test',
      baseUrl,
      circuitBreaker: false,
      retry: { maxAttempts: 1 },
    });
    try {
      await expect(callOnce(client, '/v1/fail')).rejects.toThrow(/answered 500/);
      const http = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT)!;
      expect(http.attributes['http.response.status_code']).toBe(500);
      expect(http.status.code).toBe(2);
    } finally {
      await client.close();
      await provider.shutdown();
    }
  });

  it('builds no HTTP span when the call is not sampled, yet propagates the unsampled trace', async () => {
    const { exporter, provider } = tracing(new AlwaysOffSampler());
    const client = new DownstreamClient({ api: 'test', baseUrl, circuitBreaker: false });
    try {
      await callOnce(client);
      expect(exporter.getFinishedSpans()).toEqual([]);
      expect(traceparents).toHaveLength(1);
      expect(traceparents[0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    } finally {
      await client.close();
      await provider.shutdown();
    }
  });

  it('claims its origin from the undici instrumentation until every client of it is closed', async () => {
    const first = new DownstreamClient({ api: 'a', baseUrl });
    const second = new DownstreamClient({ api: 'b', baseUrl: `${baseUrl}/b` });
    expect(isSelfTracedOrigin(baseUrl)).toBe(true);
    await first.close();
    await first.close();
    expect(isSelfTracedOrigin(baseUrl)).toBe(true);
    await second.close();
    expect(isSelfTracedOrigin(baseUrl)).toBe(false);
  });
});
