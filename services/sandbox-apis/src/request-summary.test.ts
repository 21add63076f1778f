import { describe, expect, it } from 'vitest';
import { requestsSince } from './request-summary';

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
});
