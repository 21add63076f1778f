import { describe, expect, it } from 'vitest';
import { nextFetchParameters } from './adaptive-fetch';

const settings = { busyMinBytes: 65_536, busyMaxWaitMs: 25, idleMaxWaitMs: 500 };

describe('adaptive fetch parameters', () => {
  it('batch while the last fetch returned records: the busy min bytes and wait', () => {
    expect(nextFetchParameters(settings, true)).toEqual({ minBytes: 65_536, maxWaitTime: 25 });
  });

  it('long-poll after an empty fetch: answered at the first byte, or after the idle wait', () => {
    expect(nextFetchParameters(settings, false)).toEqual({ minBytes: 1, maxWaitTime: 500 });
  });
});
