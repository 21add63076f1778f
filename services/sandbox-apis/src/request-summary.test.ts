import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '@fanout/telemetry';
import { requestsSince, summaryFields } from './request-summary';

describe('request summary', () => {
  it('counts only the requests added since the last summary, by API and status', () => {
    const first = requestsSince({}, { crm: { requests: 3, byStatus: { '200': 2, '429': 1 } } });
    expect(first).toMatchObject({ total: 3, delta: { crm: { '200': 2, '429': 1 } } });
    const second = requestsSince(first.now, {
      crm: { requests: 4, byStatus: { '200': 3, '429': 1 } },
      email: { requests: 1, byStatus: { '202': 1 } },
    });
    expect(second).toMatchObject({ total: 2, delta: { crm: { '200': 1 }, email: { '202': 1 } } });
    const idle = requestsSince(second.now, {
      crm: { requests: 4, byStatus: { '200': 3, '429': 1 } },
      email: { requests: 1, byStatus: { '202': 1 } },
    });
    expect(idle).toMatchObject({ total: 0, delta: {} });
  });

  it('logs the counts of the email API in the clear: APIs are values, not redacted keys', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ name: 'sandbox-apis', destination });
    const { delta, total } = requestsSince({}, { email: { requests: 2, byStatus: { '202': 2 } } });
    logger.info(summaryFields(delta, total, 60_000), 'requests served');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line.byApi).toEqual([{ api: 'email', byStatus: { '202': 2 } }]);
    expect(lines[0]).not.toContain('[REDACTED]');
  });
});
