import { logLevel } from 'kafkajs';
import type { logCreator } from 'kafkajs';
import type { FastifyBaseLogger } from 'fastify';

/** Routes kafkajs's own log lines into the service's structured logger (JSON, redacted). */
export function kafkaLogCreator(logger: FastifyBaseLogger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      if (level === logLevel.ERROR) child.error(extra, message);
      else if (level === logLevel.WARN) child.warn(extra, message);
      else if (level === logLevel.INFO) child.debug(extra, message);
      else child.trace(extra, message);
    };
}
