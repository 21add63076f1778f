import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEAKS } from './fixtures/roundtrip-app';
import { parentOf, tag, waitForTrace, type JaegerSpan, type JaegerTrace } from './jaeger-trace';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/roundtrip-service.ts', import.meta.url));
const endpoints = platformEndpoints();

interface FixtureResult {
  traceId: string;
  rootSpanId: string;
  status: number;
  metrics: string;
  logs: Record<string, unknown>[];
  serviceInstanceId: string;
}

/** Runs the fixture service as its own process, booted the way every service boots. */
async function runFixture(
  serviceName: string,
  env: Record<string, string>,
  script = fixture,
): Promise<FixtureResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, FIXTURE_SERVICE_NAME: serviceName, ...env },
    timeout: 60_000,
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as FixtureResult;
}

function byScope(trace: JaegerTrace, scope: string, name?: string): JaegerSpan | undefined {
  return trace.spans.find(
    (s) => tag(s, 'otel.scope.name') === scope && (name === undefined || s.operationName === name),
  );
}

describe('telemetry bootstrap, end to end through Jaeger (OTLP http/protobuf)', () => {
  const serviceName = uniqueName('telemetry-fixture');
  let result: FixtureResult;
  let trace: JaegerTrace;

  beforeAll(async () => {
    // Spans are exported only by the fixture's shutdown flush (it exits right after): finding
    // them in Jaeger proves shutdown flushes.
    result = await runFixture(serviceName, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpHttpUrl,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    // roundtrip, undici client, http server, fastify request, fastify handler, load-user
    trace = await waitForTrace(endpoints.jaegerQueryUrl, result.traceId, 6);
  });

  it('links undici client -> http server -> Fastify route spans from one process as one trace', () => {
    expect(result.status).toBe(200);
    const root = trace.spans.find((s) => s.spanID === result.rootSpanId);
    const client = byScope(trace, '@opentelemetry/instrumentation-undici');
    const server = byScope(trace, '@opentelemetry/instrumentation-http');
    const route = byScope(trace, '@fastify/otel', 'request');
    const handler = trace.spans.find((s) => parentOf(s) === route?.spanID);
    const loadUser = trace.spans.find((s) => s.operationName === 'load-user');

    expect(tag(client, 'span.kind')).toBe('client');
    expect(tag(server, 'span.kind')).toBe('server');
    expect(server?.operationName).toBe('GET /users/:id');
    expect(parentOf(client)).toBe(root?.spanID);
    expect(parentOf(server)).toBe(client?.spanID);
    expect(parentOf(route)).toBe(server?.spanID);
    expect(tag(route, 'http.route')).toBe('/users/:id');
    expect(parentOf(loadUser)).toBe(handler?.spanID);
    expect(new Set(trace.spans.map((s) => s.traceID))).toEqual(new Set([result.traceId]));
  });

  it('describes the process with service.name, service.version and its service.instance.id', () => {
    const processes = Object.values(trace.processes);
    expect(processes).toHaveLength(1);
    const [proc] = processes;
    expect(proc?.serviceName).toBe(serviceName);
    const tags = Object.fromEntries((proc?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['service.instance.id']).toBe(result.serviceInstanceId);
    expect(tags['service.version']).toBe('1.2.3');
  });

  it('keeps personal data and secrets out of every span Jaeger stores', () => {
    const stored = JSON.stringify(trace);
    for (const [what, leak] of Object.entries(LEAKS)) {
      expect(stored, `${what} leaked into Jaeger`).not.toContain(leak);
    }
    expect(stored).not.toContain(encodeURIComponent(LEAKS.email));
    const loadUser = trace.spans.find((s) => s.operationName === 'load-user');
    expect(tag(loadUser, 'user.email')).toBe('[REDACTED]');
    expect(tag(loadUser, 'user.phone')).toBe('[REDACTED]');
    expect(tag(loadUser, 'shipping.address')).toBe('[REDACTED]');
    expect(tag(loadUser, 'api_key')).toBe('[REDACTED]');
    expect(tag(loadUser, 'note')).toBe('welcome mail queued for [REDACTED:email]');
    expect(tag(loadUser, 'user.id')).toBe('42');
    expect(tag(loadUser, 'server.address')).toBe('127.0.0.1');
    const event = loadUser?.logs[0]?.fields.find((f) => f.key === 'customer.email');
    expect(event?.value).toBe('[REDACTED]');
  });

  it('captures the idempotency key header but never authorization, cookie or api-key headers', () => {
    const server = byScope(trace, '@opentelemetry/instrumentation-http');
    const client = byScope(trace, '@opentelemetry/instrumentation-undici');
    for (const span of [server, client]) {
      const keys = span?.tags.map((t) => t.key) ?? [];
      expect(keys).toContain('http.request.header.idempotency-key');
      expect(keys.filter((k) => /authorization|cookie|api-key/i.test(k))).toEqual([]);
    }
    expect(tag(server, 'http.request.header.idempotency-key')).toContain('idem-42');
  });

  it('stamps a log line written in a route handler with the trace and span of that request', () => {
    const line = result.logs.find((l) => l.component === 'users');
    const handler = trace.spans.find(
      (s) => parentOf(s) === byScope(trace, '@fastify/otel', 'request')?.spanID,
    );
    expect(line).toMatchObject({
      msg: 'loaded [REDACTED:email]',
      email: '[REDACTED]',
      trace_id: result.traceId,
      span_id: handler?.spanID,
    });
    const logs = JSON.stringify(result.logs);
    expect(logs).not.toContain(LEAKS.email);
    // Fastify's own "incoming request" line logs the URL, whose query holds the encoded email.
    expect(logs).toContain('incoming request');
    expect(logs).not.toContain(encodeURIComponent(LEAKS.email));
  });

  it('serves the recorded Fanout metric on the service port as Prometheus text', () => {
    expect(result.metrics).toMatch(
      /^fanout_api_call_duration_seconds_count\{api="crm",status="200",.*\} 1$/m,
    );
    expect(result.metrics).toContain(`service_instance_id="${result.serviceInstanceId}"`);
  });
});

describe('telemetry bootstrap when Fastify was imported before startTelemetry', () => {
  it('still records the http server span between the undici client and the Fastify route', async () => {
    const script = fileURLToPath(new URL('./fixtures/static-import-service.ts', import.meta.url));
    const { traceId } = await runFixture(
      uniqueName('telemetry-static'),
      { OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpHttpUrl },
      script,
    );
    // root, undici client, http server, fastify request, fastify handler
    const trace = await waitForTrace(endpoints.jaegerQueryUrl, traceId, 5);
    const client = byScope(trace, '@opentelemetry/instrumentation-undici');
    const server = byScope(trace, '@opentelemetry/instrumentation-http');
    const route = byScope(trace, '@fastify/otel', 'request');
    expect(server?.operationName).toBe('GET /ping');
    expect(parentOf(server)).toBe(client?.spanID);
    expect(parentOf(route)).toBe(server?.spanID);
  });
});

describe('telemetry bootstrap over OTLP gRPC', () => {
  it('delivers the same trace to Jaeger when OTEL_EXPORTER_OTLP_PROTOCOL=grpc', async () => {
    const result = await runFixture(uniqueName('telemetry-grpc'), {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpGrpcUrl,
    });
    const trace = await waitForTrace(endpoints.jaegerQueryUrl, result.traceId, 6);
    expect(byScope(trace, '@opentelemetry/instrumentation-http')).toBeDefined();
  });
});
