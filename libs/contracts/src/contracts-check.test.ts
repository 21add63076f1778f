import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSchemasDir } from './catalog-loader';
import { runCodegen } from './codegen/codegen';
import { checkContracts } from './contracts-check';

let repo: string | undefined;
afterEach(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
  repo = undefined;
});

/** A git repo holding a copy of the real schemas/ (committed) and fresh generated code. */
function fixture(): { schemasDir: string; generatedDir: string } {
  repo = mkdtempSync(join(tmpdir(), 'fanout-contracts-'));
  const schemasDir = join(repo, 'schemas');
  const generatedDir = join(repo, 'generated');
  mkdirSync(schemasDir);
  cpSync(defaultSchemasDir(), schemasDir, { recursive: true });
  runCodegen({ schemasDir, outDir: generatedDir });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'v1');
  return { schemasDir, generatedDir };
}

function git(...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    stdio: 'pipe',
  });
}

interface FieldJson {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}
interface RecordJson {
  fields: FieldJson[];
}

function editSchema(schemasDir: string, file: string, change: (schema: RecordJson) => void): void {
  const path = join(schemasDir, file);
  const schema = JSON.parse(readFileSync(path, 'utf8')) as RecordJson;
  change(schema);
  writeFileSync(path, JSON.stringify(schema, null, 2));
}

describe('check:contracts', () => {
  it('passes on the repository as committed', () => {
    const result = checkContracts();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('refuses an incompatible change against the committed version, naming schema, version and field', () => {
    const dirs = fixture();
    editSchema(dirs.schemasDir, 'user/UserRegistered.avsc', (s) => {
      s.fields = s.fields.filter((f) => f.name !== 'locale');
    });
    runCodegen({ schemasDir: dirs.schemasDir, outDir: dirs.generatedDir });
    const result = checkContracts(dirs);
    expect(result.ok).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(
      /^schemas\/user\/UserRegistered\.avsc is not FULL_TRANSITIVE compatible:\n  against v1 \([0-9a-f]+ [\d-]+\):\n    - \[forward\] field locale was removed/,
    );
  });

  it('accepts a compatible change: a new field with a default', () => {
    const dirs = fixture();
    editSchema(dirs.schemasDir, 'user/UserRegistered.avsc', (s) => {
      s.fields.push({ name: 'referrer', type: ['null', 'string'], default: null });
    });
    runCodegen({ schemasDir: dirs.schemasDir, outDir: dirs.generatedDir });
    expect(checkContracts(dirs).failures).toEqual([]);
  });

  it('fails when the generated code is stale', () => {
    const dirs = fixture();
    editSchema(dirs.schemasDir, 'user/UserRegistered.avsc', (s) => {
      s.fields.push({ name: 'referrer', type: ['null', 'string'], default: null });
    });
    const result = checkContracts(dirs);
    expect(result.failures).toEqual([
      'generated contracts are stale (event-types.ts, catalog-data.ts): run `npm run codegen` and commit the result',
    ]);
  });

  it('fails when an event embeds a metadata record that differs from common/EventMetadata.avsc', () => {
    const dirs = fixture();
    editSchema(dirs.schemasDir, 'order/OrderPlaced.avsc', (s) => {
      (s.fields[0]!.type as RecordJson).fields[4]!.doc = 'edited in place';
    });
    const failures = checkContracts(dirs).failures;
    expect(failures).toContain(
      'schemas/order/OrderPlaced.avsc (fanout.order.OrderPlaced): field metadata differs from schemas/common/EventMetadata.avsc; copy that record into it verbatim',
    );
    // Codegen refuses it as well: one TypeScript EventMetadata cannot describe two records.
    expect(failures.join('\n')).toContain('fanout.common.EventMetadata is defined differently');
  });

  it('names the file of a malformed .avsc, and codegen refuses it too', () => {
    const dirs = fixture();
    writeFileSync(
      join(dirs.schemasDir, 'order/OrderConfirmed.avsc'),
      '{"type": "record", "name": ',
    );
    const result = checkContracts(dirs);
    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toContain(
      'schemas/order/OrderConfirmed.avsc: not valid JSON',
    );
    expect(() => runCodegen({ ...dirs, outDir: dirs.generatedDir })).toThrow(
      /schemas\/order\/OrderConfirmed\.avsc: not valid JSON/,
    );
  });

  it('fails, rather than skipping the gate, when there is no git history', () => {
    repo = mkdtempSync(join(tmpdir(), 'fanout-nogit-'));
    const schemasDir = join(repo, 'schemas');
    cpSync(defaultSchemasDir(), schemasDir, { recursive: true });
    const generatedDir = join(repo, 'generated');
    runCodegen({ schemasDir, outDir: generatedDir });
    const result = checkContracts({ schemasDir, generatedDir });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([expect.stringContaining('needs the git history')]);
  });
});
