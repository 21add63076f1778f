import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

const endpoints = platformEndpoints();

describe('tracing into Jaeger', () => {
  it('a span exported over OTLP/HTTP can be read back from /api/traces/{traceID}', async () => {
    const serviceName = uniqueName('platform-trace');
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporter({ url: `${endpoints.otlpHttpUrl}/v1/traces` }),
        ),
      ],
    });
    const span = provider
      .getTracer('platform-test')
      .startSpan('platform.proof', { attributes: { 'fanout.proof': 'otlp' } });
    const { traceId } = span.spanContext();
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    // Jaeger's batch processor delays storage a little: poll, bounded to 20 s.
    let body: {
      data?: Array<{
        spans: Array<{ operationName: string; tags: Array<{ key: string; value: unknown }> }>;
      }>;
    } = {};
    for (let attempt = 0; attempt < 40; attempt++) {
      const response = await fetch(`${endpoints.jaegerQueryUrl}/api/traces/${traceId}`);
      if (response.ok) {
        body = (await response.json()) as typeof body;
        if (body.data?.[0]?.spans.length) break;
      } else await response.body?.cancel();
      await new Promise((r) => setTimeout(r, 500));
    }
    const spans = body.data?.[0]?.spans ?? [];
    expect(spans.map((s) => s.operationName)).toEqual(['platform.proof']);
    expect(spans[0]?.tags).toContainEqual(
      expect.objectContaining({ key: 'fanout.proof', value: 'otlp' }),
    );
  });
});
