import type avsc from 'avsc';
import { parseAvroSchema } from './avro-types';
import type { CompatibilityLevel } from './compatibility-level';
import { compatibilityRules } from './compatibility-level';
import type { Incompatibility } from './compatibility';
import { checkCompatibility } from './compatibility';
import type { SchemaVersion } from './schema-history';

/** What the gate found for one schema against one earlier version. */
export interface VersionProblem {
  /** The schema file or subject. */
  schema: string;
  /** The earlier version it is incompatible with, e.g. `v2 (1a2b3c4 2026-11-27)`. */
  against: string;
  issues: Incompatibility[];
}

export interface GateReport {
  schema: string;
  /** How many earlier versions were compared. */
  compared: number;
  problems: VersionProblem[];
}

/**
 * Compares the current schema with its earlier versions (oldest first) under `level`:
 * transitive levels compare with every version, the others with the latest only. A version that
 * no longer parses is skipped: it could never have been registered.
 */
export function checkSchemaEvolution(
  schema: string,
  current: unknown,
  earlier: readonly SchemaVersion[],
  level: CompatibilityLevel,
): GateReport {
  const rules = compatibilityRules(level);
  const newType = parseAvroSchema(current, schema);
  const candidates = rules.transitive ? earlier : earlier.slice(-1);
  const problems: VersionProblem[] = [];
  let compared = 0;
  for (const version of candidates) {
    let oldType: avsc.Type;
    try {
      oldType = parseAvroSchema(version.text, `${schema} v${version.version}`);
    } catch {
      continue;
    }
    compared += 1;
    const issues = [
      ...(rules.backward ? checkCompatibility(newType, oldType, 'backward') : []),
      ...(rules.forward ? checkCompatibility(newType, oldType, 'forward') : []),
    ];
    if (issues.length > 0)
      problems.push({ schema, against: `v${version.version} (${version.label})`, issues });
  }
  return { schema, compared, problems };
}

/** A readable, multi-line explanation of a failed report, naming schema, version and field. */
export function formatGateReport(report: GateReport, level: CompatibilityLevel): string {
  const lines = [`${report.schema} is not ${level} compatible:`];
  for (const problem of report.problems) {
    lines.push(`  against ${problem.against}:`);
    for (const issue of problem.issues) lines.push(`    - [${issue.direction}] ${issue.message}`);
  }
  return lines.join('\n');
}
