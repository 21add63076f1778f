import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_CONTENT_TYPE } from '@fanout/telemetry';
import type { SamplingResult } from './fixtures/sampling-app';
import { tag, waitForTrace } from './jaeger-trace';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/sampling-service.ts', import.meta.url));
const endpoints = platformEndpoints();

describe('parent-based sampling from the standard environment, across a real process', () => {
  it('with parentbased_traceidratio at 0, drops new traces but exports a request under a sampled parent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], {
      env: {
        ...process.env,
        FIXTURE_TRACEPARENT: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        FIXTURE_SERVICE_NAME: uniqueName('telemetry-sampling'),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpHttpUrl,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
      },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SamplingResult;

    // The server continued the caller's trace (undici injected traceparent, http extracted it).
    expect(result.withParent).toBe(traceId);
    expect(result.withParentRecording).toBe(true);
    expect(result.withoutParentRecording).toBe(false);

    const sampled = await waitForTrace(endpoints.jaegerQueryUrl, result.withParent, 2);
    expect(sampled.spans.map((s) => tag(s, 'span.kind')).sort()).toEqual(['client', 'server']);
    // Both requests were flushed by the same shutdown: once the sampled one is in Jaeger, the
    // unsampled one would be too if it had been exported.
    const absent = await fetch(`${endpoints.jaegerQueryUrl}/api/traces/${result.withoutParent}`);
    expect(absent.status).toBe(404);
    await absent.body?.cancel();
  });

  it('serves /metrics through metricsHandler on a plain node:http server', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], {
      env: {
        ...process.env,
        FIXTURE_TRACEPARENT: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
        OTEL_TRACES_EXPORTER: 'none',
      },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SamplingResult;
    expect(result.metricsContentType).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(result.metricsBody).toMatch(/^# TYPE http_server_request_duration histogram$/m);
  });
});
