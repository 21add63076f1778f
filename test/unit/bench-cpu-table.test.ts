import { describe, expect, it } from 'vitest';
import { cpuTable } from '../bench/report/cpu-section';
import { jitCpuSeconds, type CpuTable } from '../bench/report/process-cpu';

const table = (rows: CpuTable['rows']): CpuTable => ({
  wallSeconds: 20,
  events: 5_000,
  rows,
  total: { cpuSeconds: 10, usPerEvent: 2_000, cores: 0.5 },
  how: 'test',
});

describe('the bench CPU table', () => {
  it("shows a JVM's JIT compiler share beside its figure, and nothing for processes without one", () => {
    const md = cpuTable([
      {
        label: 'B2 1% @250/s',
        cpu: table([
          {
            process: 'kafka-1',
            kind: 'platform',
            cpuSeconds: 7,
            usPerEvent: 1_454,
            cores: 0.35,
            jitUsPerEvent: 912,
          },
          { process: 'user-service', kind: 'domain', cpuSeconds: 3, usPerEvent: 600, cores: 0.15 },
        ]),
      },
    ]);
    expect(md).toContain('| kafka-1 | 1,454 (0.35 cores; JIT 912) |');
    expect(md).toContain('| user-service | 600 (0.15 cores) |');
  });

  it('counts no JIT threads for a node process or a pid that is gone', () => {
    expect(jitCpuSeconds(process.pid)).toBe(0);
    expect(jitCpuSeconds(2 ** 22 + 1)).toBe(0);
  });
});
