import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { GracefulShutdown } from './graceful-shutdown';

const logger = pino({ level: 'silent' });

describe('graceful shutdown', () => {
  it('runs closers in reverse order of registration, once, even when one fails', async () => {
    const order: string[] = [];
    const shutdown = new GracefulShutdown({ logger, exit: () => undefined });
    shutdown.register('database', () => void order.push('database'));
    shutdown.register('relay', () => {
      order.push('relay');
      throw new Error('boom');
    });
    shutdown.register('http', async () => void order.push('http'));
    await Promise.all([shutdown.run(), shutdown.run()]);
    expect(order).toEqual(['http', 'relay', 'database']);
  });

  it('gives up at the deadline instead of hanging on a stuck closer', async () => {
    const shutdown = new GracefulShutdown({ logger, deadlineMs: 50, exit: () => undefined });
    shutdown.register('stuck', () => new Promise(() => undefined));
    const started = Date.now();
    await expect(shutdown.run()).rejects.toThrow(/exceeded 50 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
