import { ROOT_CONTEXT, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsText } from './metrics-endpoint';
import { startTelemetry, type Telemetry } from './start-telemetry';

const SAMPLED_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const UNSAMPLED_PARENT = '00-1bf7651916cd43dd8448eb211c80319c-c7ad6b7169203331-00';
const ENV_KEYS = [
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
];

/** Keeps what it was given across shutdown (the SDK's in-memory exporter clears itself). */
class RecordingExporter implements SpanExporter {
  private spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
  getFinishedSpans(): ReadableSpan[] {
    return this.spans;
  }
  reset(): void {
    this.spans = [];
  }
}

let telemetry: Telemetry | undefined;
const memory = new RecordingExporter();

function start(serviceName = 'start-test'): Telemetry {
  telemetry = startTelemetry({ serviceName, serviceVersion: '9.9.9', traceExporter: memory });
  return telemetry;
}

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  memory.reset();
  for (const key of ENV_KEYS) delete process.env[key];
});

describe('startTelemetry', () => {
  it('reads OTEL_TRACES_SAMPLER set after import: ratio 0 drops new traces but follows a sampled parent', async () => {
    // Set after this module and the SDK were imported: proves the environment is read lazily.
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0';
    const t = start();
    const tracer = trace.getTracer('start-test');

    const root = tracer.startSpan('new-root');
    expect(root.isRecording()).toBe(false);
    expect(root.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
    root.end();

    const sampled = propagation.extract(ROOT_CONTEXT, { traceparent: SAMPLED_PARENT });
    const child = tracer.startSpan('child-of-sampled', {}, sampled);
    expect(child.isRecording()).toBe(true);
    child.end();

    const unsampled = propagation.extract(ROOT_CONTEXT, { traceparent: UNSAMPLED_PARENT });
    const dropped = tracer.startSpan('child-of-unsampled', {}, unsampled);
    expect(dropped.isRecording()).toBe(false);
    dropped.end();

    await t.forceFlush();
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['child-of-sampled']);
    expect(memory.getFinishedSpans()[0]?.spanContext().traceId).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
  });

  it('samples every new trace when no sampler is configured', () => {
    start();
    const span = trace.getTracer('start-test').startSpan('root');
    expect(span.isRecording()).toBe(true);
    span.end();
  });

  it('propagates W3C traceparent and baggage', () => {
    start();
    const tracer = trace.getTracer('start-test');
    const carrier: Record<string, string> = {};
    tracer.startActiveSpan('outgoing', (span) => {
      const bag = propagation.createBaggage({ tenant: { value: 'acme' } });
      context.with(propagation.setBaggage(context.active(), bag), () =>
        propagation.inject(context.active(), carrier),
      );
      expect(carrier.traceparent).toBe(
        `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
      );
      span.end();
    });
    expect(carrier.baggage).toBe('tenant=acme');
  });

  it('describes the process with service.name, service.version and a per-process service.instance.id', async () => {
    const first = start('billing');
    trace.getTracer('start-test').startSpan('one').end();
    await first.forceFlush();
    const resource = memory.getFinishedSpans()[0]?.resource.attributes;
    expect(resource).toMatchObject({
      'service.name': 'billing',
      'service.version': '9.9.9',
      'service.instance.id': first.serviceInstanceId,
    });
    expect(first.serviceInstanceId).toMatch(/^[0-9a-f-]{36}$/);
    await first.shutdown();

    const second = start('billing');
    expect(second.serviceInstanceId).not.toBe(first.serviceInstanceId);
  });

  it('takes service.instance.id from OTEL_RESOURCE_ATTRIBUTES when the deployment sets one', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=test,service.instance.id=pod-7';
    const t = start();
    expect(t.serviceInstanceId).toBe('pod-7');
    trace.getTracer('start-test').startSpan('one').end();
    await t.forceFlush();
    expect(memory.getFinishedSpans()[0]?.resource.attributes).toMatchObject({
      'service.instance.id': 'pod-7',
      'deployment.environment': 'test',
    });
  });

  it('lets OTEL_SERVICE_NAME override the name given in code', () => {
    process.env.OTEL_SERVICE_NAME = 'billing-canary';
    expect(start('billing').serviceName).toBe('billing-canary');
  });

  it('redacts personal data from spans before they reach the exporter', async () => {
    const t = start();
    const span = trace.getTracer('start-test').startSpan('signup');
    span.setAttributes({ 'user.email': 'ada@example.com', 'user.id': 'u-1' });
    span.end();
    await t.forceFlush();
    expect(memory.getFinishedSpans()[0]?.attributes).toEqual({
      'user.email': '[REDACTED]',
      'user.id': 'u-1',
    });
  });

  it('refuses a second start, shuts down twice without error, and can start again', async () => {
    const t = start();
    expect(() => startTelemetry({ serviceName: 'again' })).toThrow(
      expect.objectContaining({ code: 'FANOUT_TELEMETRY_ALREADY_STARTED' }),
    );
    await t.shutdown();
    await t.shutdown();
    expect(await metricsText()).toBe('');
    start();
    expect(trace.getTracer('x').startSpan('s').isRecording()).toBe(true);
  });

  it('flushes ended spans on shutdown', async () => {
    const t = start();
    trace.getTracer('start-test').startSpan('last-words').end();
    expect(memory.getFinishedSpans()).toHaveLength(0); // still in the batch
    await t.shutdown();
    telemetry = undefined;
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['last-words']);
  });
});
