// Types of npm-audit-report.mjs, for the unit test (test/unit/npm-audit-report.test.ts).

export interface AuditRun {
  status: number | null;
  stdout?: string;
  stderr?: string;
  error?: Error;
  timedOut?: boolean;
}

export type SeverityCounts = Partial<
  Record<'info' | 'low' | 'moderate' | 'high' | 'critical' | 'total', number>
>;

export interface AuditFinding {
  name: string;
  severity: string;
  range: string;
  advisories: { title: string; severity: string; url: string }[];
  /** Names of vulnerable dependencies this package is vulnerable through. */
  through: string[];
}

export type AuditResult =
  | { kind: 'clean'; counts: SeverityCounts; dependencies: number | undefined }
  | {
      kind: 'vulnerable';
      findings: AuditFinding[];
      counts: SeverityCounts;
      dependencies: number | undefined;
    }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'error'; reason: string };

export const BLOCKING_SEVERITIES: readonly string[];
export const EXIT: { clean: 0; vulnerable: 1; error: 2; unavailable: 3 };
export function classifyAudit(run: AuditRun): AuditResult;
export function formatAudit(result: AuditResult): string[];
