import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error';
import { parseEventJson, withMetadata } from './publish-input';

describe('publish input', () => {
  it('refuses text that is not a JSON object, saying how to quote it', () => {
    expect(() => parseEventJson('{userId: 1}')).toThrow(/not valid JSON/);
    expect(() => parseEventJson('[1]')).toThrow(/must be a JSON object/);
    expect(parseEventJson('{"userId":"u-1"}')).toEqual({ userId: 'u-1' });
  });

  it('fills in missing metadata as a new flow produced by fanout-cli', () => {
    const event = withMetadata({ userId: 'u-1' });
    const metadata = event.metadata as Record<string, unknown>;
    expect(metadata.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(metadata.correlationId).toBe(metadata.eventId);
    expect(metadata).toMatchObject({ causationId: null, producer: 'fanout-cli' });
    expect(metadata.occurredAt).toBeInstanceOf(Date);
  });

  it('keeps the metadata fields given and converts an ISO occurredAt to a Date', () => {
    const event = withMetadata({
      metadata: { eventId: 'e-1', occurredAt: '2026-01-02T03:04:05Z', producer: 'me' },
    });
    expect(event.metadata).toEqual({
      eventId: 'e-1',
      correlationId: 'e-1',
      causationId: null,
      producer: 'me',
      occurredAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(() => withMetadata({ metadata: { occurredAt: 'yesterday' } })).toThrow(CliError);
    expect(() => withMetadata({ metadata: 'x' })).toThrow(/metadata must be an object/);
  });
});
