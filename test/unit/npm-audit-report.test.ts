import { describe, expect, it } from 'vitest';
// scripts/ is the root's own tooling (run by `npm test`), not a workspace package to import by name.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { EXIT, classifyAudit, formatAudit } from '../../scripts/lib/npm-audit-report.mjs';

// Outputs of `npm audit --json` (npm 11, auditReportVersion 2). The 405 and ECONNREFUSED
// documents were captured on this machine; the reports follow arborist's AuditReport.toJSON.

const metadata = (counts: Record<string, number>) => ({
  vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts },
  dependencies: { prod: 400, dev: 300, optional: 20, peer: 0, peerOptional: 0, total: 731 },
});

const vulnerableReport = {
  auditReportVersion: 2,
  vulnerabilities: {
    minimist: {
      name: 'minimist',
      severity: 'critical',
      isDirect: false,
      via: [
        {
          source: 1097677,
          name: 'minimist',
          dependency: 'minimist',
          title: 'Prototype Pollution in minimist',
          url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
          severity: 'critical',
          cwe: ['CWE-1321'],
          cvss: { score: 9.8, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          range: '<0.2.4',
        },
      ],
      effects: ['mkdirp'],
      range: '<0.2.4',
      nodes: ['node_modules/minimist'],
      fixAvailable: true,
    },
    mkdirp: {
      name: 'mkdirp',
      severity: 'high',
      isDirect: true,
      via: ['minimist'],
      effects: [],
      range: '0.4.1 - 0.5.1',
      nodes: ['node_modules/mkdirp'],
      fixAvailable: true,
    },
    'semver-regex': {
      name: 'semver-regex',
      severity: 'moderate',
      isDirect: true,
      via: [
        {
          source: 1,
          name: 'semver-regex',
          dependency: 'semver-regex',
          title: 'ReDoS',
          url: 'https://github.com/advisories/GHSA-4x5v-gmq8-25ch',
          severity: 'moderate',
          range: '<3.1.3',
        },
      ],
      effects: [],
      range: '<3.1.3',
      nodes: ['node_modules/semver-regex'],
      fixAvailable: true,
    },
  },
  metadata: metadata({ moderate: 1, high: 1, critical: 1, total: 3 }),
};

const moderateOnlyReport = {
  auditReportVersion: 2,
  vulnerabilities: { 'semver-regex': vulnerableReport.vulnerabilities['semver-regex'] },
  metadata: metadata({ moderate: 1, total: 1 }),
};

const cleanReport = { auditReportVersion: 2, vulnerabilities: {}, metadata: metadata({}) };

const http405 = {
  message:
    '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  method: 'POST',
  uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  headers: { allow: ['GET,HEAD'], 'content-length': ['0'] },
  statusCode: 405,
  body: '',
  error: { summary: '', detail: '' },
};
const endpointStderr =
  'npm warn audit 405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk\n' +
  'npm error audit endpoint returned an error\n' +
  'npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log\n';

const refused = {
  message:
    'request to http://127.0.0.1:1/-/npm/v1/security/advisories/bulk failed, reason: connect ECONNREFUSED 127.0.0.1:1',
  error: { summary: '', detail: '' },
};

const json = (value: unknown) => JSON.stringify(value, null, 2);

describe('npm audit classification', () => {
  it('fails on high and critical advisories, listing package, severity and advisory URL', () => {
    const result = classifyAudit({ status: 1, stdout: json(vulnerableReport), stderr: '' });
    expect(result.kind).toBe('vulnerable');
    if (result.kind !== 'vulnerable') return;
    expect(result.findings.map((f) => [f.name, f.severity])).toEqual([
      ['minimist', 'critical'],
      ['mkdirp', 'high'],
    ]);
    const lines = formatAudit(result);
    expect(lines[0]).toMatch(
      /critical\s+minimist <0\.2\.4\s+https:\/\/github\.com\/advisories\/GHSA-xvch-5gv4-984h/,
    );
    // A package vulnerable only through a dependency is summarized, not given a URL of its own.
    expect(lines[1]).toBe('  affected through them: mkdirp');
    expect(lines.at(-1)).toBe(
      'npm audit: 2 package(s) with high or critical advisories (1 critical, 1 high, 1 moderate, 0 low, 0 info); see `npm audit`',
    );
    expect(EXIT[result.kind]).toBe(1);
  });

  it('passes a report with no advisories with a one-line summary', () => {
    const result = classifyAudit({ status: 0, stdout: json(cleanReport), stderr: '' });
    expect(result.kind).toBe('clean');
    expect(formatAudit(result)).toEqual([
      'npm audit: no high or critical advisories in 731 dependencies (0 critical, 0 high, 0 moderate, 0 low, 0 info)',
    ]);
    expect(EXIT[result.kind]).toBe(0);
  });

  it('passes moderate and low advisories below the audit level, still counting them', () => {
    const result = classifyAudit({ status: 0, stdout: json(moderateOnlyReport), stderr: '' });
    expect(result.kind).toBe('clean');
    expect(formatAudit(result)[0]).toContain('1 moderate');
  });

  it('reports a 405 from the advisory endpoint as not checked, never as passed', () => {
    const result = classifyAudit({ status: 1, stdout: json(http405), stderr: endpointStderr });
    expect(result).toEqual({
      kind: 'unavailable',
      reason:
        '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    });
    expect(formatAudit(result)).toEqual([
      'NOT CHECKED: npm audit — advisory service unreachable (405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk)',
    ]);
    expect(EXIT[result.kind]).toBe(3);
  });

  it('reports a refused connection, a DNS failure and a timeout as not checked', () => {
    expect(
      classifyAudit({ status: 1, stdout: json(refused), stderr: endpointStderr }),
    ).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('ECONNREFUSED') });
    const dns = {
      error: {
        code: 'ENOTFOUND',
        summary: 'request failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
        detail: '',
      },
    };
    expect(classifyAudit({ status: 1, stdout: json(dns), stderr: '' })).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringContaining('ENOTFOUND'),
    });
    expect(classifyAudit({ status: null, timedOut: true })).toMatchObject({ kind: 'unavailable' });
    // No JSON at all, only npm's own error line on stderr.
    expect(classifyAudit({ status: 1, stdout: '', stderr: endpointStderr })).toEqual({
      kind: 'unavailable',
      reason: 'audit endpoint returned an error',
    });
  });

  it('treats a successful exit without a report as a failure, not a pass', () => {
    expect(classifyAudit({ status: 0, stdout: '', stderr: '' }).kind).toBe('error');
    expect(classifyAudit({ status: 0, stdout: '{}', stderr: '' }).kind).toBe('error');
  });

  it('fails on local errors such as a missing lock file, naming them', () => {
    const noLock = {
      error: {
        code: 'ENOLOCK',
        summary: 'This command requires an existing lockfile.',
        detail: 'Try creating one first with: npm i --package-lock-only',
      },
    };
    const result = classifyAudit({ status: 1, stdout: json(noLock), stderr: '' });
    expect(result).toEqual({
      kind: 'error',
      reason: 'npm audit failed: ENOLOCK: This command requires an existing lockfile.',
    });
    expect(EXIT[result.kind]).toBe(2);
    expect(classifyAudit({ status: null, error: new Error('spawn npm ENOENT') }).kind).toBe(
      'error',
    );
  });
});
