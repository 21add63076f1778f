import { Writable } from 'node:stream';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from './logger';

function capture(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'logger-test', level, destination }) };
}

describe('createLogger', () => {
  const provider = new NodeTracerProvider();
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('stamps a line written inside an active span with its trace_id and span_id', () => {
    const { lines, logger } = capture();
    const tracer = trace.getTracer('logger-test');
    const ids = tracer.startActiveSpan('work', (span) => {
      logger.child({ component: 'outbox-relay' }).info('published');
      span.end();
      return span.spanContext();
    });
    expect(lines[0]).toMatchObject({
      level: 'info',
      name: 'logger-test',
      component: 'outbox-relay',
      msg: 'published',
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: '01',
    });
  });

  it('writes no trace fields outside a span', () => {
    const { lines, logger } = capture();
    logger.info('idle');
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[0]).not.toHaveProperty('span_id');
  });

  it('redacts personal data and secrets at any depth, in the message and in errors', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        email: 'ada@example.com',
        password: 'hunter2',
        req: { headers: { authorization: 'Bearer t0k3n', 'x-api-key': 'k3y' } },
        user: {
          id: 'u-1',
          name: 'Ada Lovelace',
          address: { street: '12 Engine Road', city: 'London' },
          contact: { phone: '+44 20 7946 0958' },
        },
        event: { payload: { customer: { email: 'bob@example.org' } } },
        note: 'duplicate signup for ada@example.com',
        serverAddress: '127.0.0.1',
      },
      'registered %s',
      'ada@example.com',
    );
    logger.error({ err: new Error('CRM refused ada@example.com') }, 'call failed');
    // What Fastify's request serializer produces: a URL whose query holds an encoded email.
    logger.info({ req: { url: '/users?email=ada%40example.com&page=2' } }, 'incoming request');

    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    for (const leak of [
      'ada@example.com',
      'ada%40example.com',
      'bob@example.org',
      'hunter2',
      't0k3n',
      'k3y',
      'Ada Lovelace',
      '12 Engine Road',
      '7946',
    ]) {
      expect(text).not.toContain(leak);
    }
    expect(lines[0]).toMatchObject({
      email: '[REDACTED]',
      password: '[REDACTED]',
      msg: 'registered [REDACTED:email]',
      note: 'duplicate signup for [REDACTED:email]',
      user: { id: 'u-1', name: '[REDACTED]', address: '[REDACTED]' },
      serverAddress: '127.0.0.1',
    });
    expect(lines[1]).toMatchObject({
      level: 'error',
      err: { type: 'Error', message: 'CRM refused [REDACTED:email]' },
    });
    expect(lines[2]).toMatchObject({ req: { url: '/users?email=[REDACTED]&page=2' } });
  });

  it('drops lines below the configured level', () => {
    const { lines, logger } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line.msg)).toEqual(['shown']);
  });
});
