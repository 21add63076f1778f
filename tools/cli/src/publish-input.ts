import { newMetadata } from '@fanout/contracts';
import { CliError } from './cli-error';

/** Parses the event given on the command line; a syntax error says where. */
export function parseEventJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `the event is not valid JSON (${(error as Error).message}): quote it for the shell, e.g. '{"userId":"u-1"}'`,
      2,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError('the event must be a JSON object, e.g. \'{"userId":"u-1"}\'', 2);
  return value as Record<string, unknown>;
}

/**
 * Fills in what the command line rarely gives: `metadata` (fresh eventId, now, a new
 * correlation, producer `fanout-cli`), field by field, so a given correlationId is kept.
 * `occurredAt` may be epoch ms or an ISO date string.
 */
export function withMetadata(
  event: Record<string, unknown>,
  producer = 'fanout-cli',
): Record<string, unknown> {
  const given = event.metadata;
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given)))
    throw new CliError('metadata must be an object (or left out to be filled in)', 2);
  const defaults = newMetadata({ producer });
  const metadata: Record<string, unknown> = { ...defaults, ...(given as object | undefined) };
  if (typeof metadata.occurredAt === 'string') {
    const ms = Date.parse(metadata.occurredAt);
    if (Number.isNaN(ms))
      throw new CliError(
        `metadata.occurredAt "${metadata.occurredAt}" is not a date: use ISO 8601 or epoch ms`,
        2,
      );
    metadata.occurredAt = new Date(ms);
  }
  if (given && !('correlationId' in given)) metadata.correlationId = metadata.eventId;
  return { ...event, metadata };
}
