import { describe, expect, it } from 'vitest';
import { closedPort, runCli } from './run-cli';

const validUser = JSON.stringify({
  userId: 'u-cli-errors',
  email: 'ada@example.com',
  name: 'Ada',
  marketingConsent: true,
  locale: 'en-GB',
});

/** Each bad input ends in one line on stderr that says what to do, and a non-zero exit. */
function expectOneLineError(run: { code: number | null; stdout: string; stderr: string }) {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe('');
  const text = run.stderr.trimEnd();
  expect(text.split('\n')).toHaveLength(1);
  expect(text.startsWith('fanout: ')).toBe(true);
  return text;
}

describe('fanout CLI bad input', () => {
  it('an unknown event type is refused with exit 2, listing the known types', async () => {
    const run = await runCli(['publish', 'fanout.user.UserDeleted', validUser]);
    const line = expectOneLineError(run);
    expect(run.code).toBe(2);
    expect(line).toMatch(
      /unknown event type "fanout\.user\.UserDeleted": use one of .*fanout\.user\.UserRegistered/,
    );
  });

  it('an event that does not match its schema is refused with exit 2, naming each bad field', async () => {
    const run = await runCli([
      'publish',
      'fanout.user.UserRegistered',
      JSON.stringify({ userId: 'u-1', email: 42, name: 'Ada', marketingConsent: true }),
    ]);
    const line = expectOneLineError(run);
    expect(run.code).toBe(2);
    expect(line).toContain('email: expected string, got 42');
    expect(line).toContain('locale: missing');
    expect(line).toMatch(/fix the event and try again$/);
  });

  it('text that is not JSON is refused with exit 2 before anything is contacted', async () => {
    const run = await runCli(['publish', 'fanout.user.UserRegistered', '{userId: u-1}']);
    expect(expectOneLineError(run)).toMatch(/not valid JSON/);
    expect(run.code).toBe(2);
  });

  it('an unknown trace id says the trace was not found in Jaeger', async () => {
    const run = await runCli(['trace', '0123456789abcdef0123456789abcdef']);
    expect(expectOneLineError(run)).toMatch(
      /no trace found for "0123456789abcdef0123456789abcdef" in Jaeger/,
    );
    expect(run.code).toBe(1);
  });

  it('a stack that is not running (closed ports) is named, with how to start it', async () => {
    const port = await closedPort();
    const kafka = await runCli(['--brokers', `127.0.0.1:${port}`, 'dlq', 'list']);
    expect(expectOneLineError(kafka)).toMatch(
      new RegExp(`Kafka is not reachable at 127\\.0\\.0\\.1:${port} .*npx fanout stack up`),
    );
    const jaeger = await runCli(['--jaeger', `http://127.0.0.1:${port}`, 'trace', 'order-1']);
    expect(expectOneLineError(jaeger)).toMatch(/Jaeger is not reachable .*npx fanout stack up/);
    const registry = await runCli([
      '--registry',
      `http://127.0.0.1:${port}/apis/ccompat/v7`,
      'publish',
      'fanout.user.UserRegistered',
      validUser,
    ]);
    expect(expectOneLineError(registry)).toMatch(
      /schema registry is not reachable .*npx fanout stack up/,
    );
  });

  it('stack status of a profile that is not running exits 1 and reports each component', async () => {
    const run = await runCli([
      '--json',
      'stack',
      'status',
      '--profile',
      'cli-not-running',
      '--port-offset',
      '31000',
    ]);
    expect(run.code).toBe(1);
    const status = JSON.parse(run.stdout) as {
      healthy: boolean;
      components: Array<{ name: string; healthy: boolean }>;
    };
    expect(status.healthy).toBe(false);
    expect(status.components.map((c) => [c.name, c.healthy])).toEqual([
      ['kafka-1', false],
      ['registry', false],
      ['jaeger', false],
    ]);
  });

  it('a malformed dead-letter id is refused with exit 2 and the expected shape', async () => {
    const run = await runCli(['dlq', 'show', 'fanout.user.events:0:1']);
    expect(expectOneLineError(run)).toMatch(
      /not a dead-letter id: use <dlq topic>:<partition>:<offset>/,
    );
    expect(run.code).toBe(2);
  });
});
