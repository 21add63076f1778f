import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSchemaEvolution, formatGateReport } from './schema-gate';
import { readSchemaHistory } from './schema-history';

const schema = (fields: unknown[]) =>
  JSON.stringify({ type: 'record', name: 'Thing', namespace: 'fanout.test', fields });
const v = (version: number, fields: unknown[]) => ({
  version,
  label: `c${version}`,
  text: schema(fields),
});
const id = { name: 'id', type: 'string' };

describe('checkSchemaEvolution', () => {
  it('is transitive: a schema compatible with the last version still fails against an older one', () => {
    const history = [
      v(1, [id, { name: 'size', type: 'int' }]),
      v(2, [id, { name: 'size', type: 'int', default: 0 }]),
      v(3, [id]),
    ];
    // Re-adding `size` as a string reads v3 data (no size: default) but not v1/v2 data (int).
    const current = JSON.parse(schema([id, { name: 'size', type: 'string', default: '' }]));
    const report = checkSchemaEvolution(
      'schemas/test/Thing.avsc',
      current,
      history,
      'BACKWARD_TRANSITIVE',
    );
    expect(report.compared).toBe(3);
    expect(report.problems.map((p) => p.against)).toEqual(['v1 (c1)', 'v2 (c2)']);
    const text = formatGateReport(report, 'BACKWARD_TRANSITIVE');
    expect(text).toContain('schemas/test/Thing.avsc is not BACKWARD_TRANSITIVE compatible');
    expect(text).toContain('against v1 (c1)');
    expect(text).toContain('field size changed type from int to string');
  });

  it('compares a non-transitive level with the latest version only', () => {
    const history = [v(1, [id, { name: 'size', type: 'int' }]), v(2, [id])];
    const current = JSON.parse(schema([id, { name: 'size', type: 'string', default: '' }]));
    const report = checkSchemaEvolution('Thing', current, history, 'BACKWARD');
    expect(report.compared).toBe(1);
    expect(report.problems).toEqual([]);
  });

  it('checks both directions under FULL_TRANSITIVE', () => {
    const history = [v(1, [id, { name: 'size', type: 'int' }])];
    const current = JSON.parse(schema([id]));
    const report = checkSchemaEvolution('Thing', current, history, 'FULL_TRANSITIVE');
    expect(report.problems[0]?.issues).toEqual([
      expect.objectContaining({
        direction: 'forward',
        kind: 'field-removed-without-default',
        path: 'size',
      }),
    ]);
  });

  it('skips an earlier version that never parsed', () => {
    const history = [{ version: 1, label: 'c1', text: '{ not json' }, v(2, [id])];
    const report = checkSchemaEvolution(
      'Thing',
      JSON.parse(schema([id])),
      history,
      'FULL_TRANSITIVE',
    );
    expect(report).toMatchObject({ compared: 1, problems: [] });
  });
});

describe('readSchemaHistory', () => {
  let repo: string | undefined;
  afterEach(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: repo,
      stdio: 'pipe',
    });
  const commit = (path: string, text: string, message: string) => {
    mkdirSync(dirname(join(repo!, path)), { recursive: true });
    writeFileSync(join(repo!, path), text);
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
  };

  it('returns every committed version oldest first, following renames', () => {
    repo = mkdtempSync(join(tmpdir(), 'fanout-history-'));
    git('init', '-q');
    commit('schemas/a/Thing.avsc', schema([id]), 'v1');
    commit('schemas/a/Thing.avsc', schema([id]), 'touch'); // same text
    commit('other.txt', 'x', 'unrelated');
    commit('schemas/a/Thing.avsc', schema([id, { name: 'n', type: 'int', default: 0 }]), 'v2');
    mkdirSync(join(repo, 'schemas/b'), { recursive: true });
    renameSync(join(repo, 'schemas/a/Thing.avsc'), join(repo, 'schemas/b/Thing.avsc'));
    git('add', '-A');
    git('commit', '-q', '-m', 'move');

    const history = readSchemaHistory(repo, 'schemas/b/Thing.avsc');
    expect(history.map((h) => h.version)).toEqual([1, 2]);
    expect(JSON.parse(history[0]!.text).fields).toHaveLength(1);
    expect(JSON.parse(history[1]!.text).fields).toHaveLength(2);
    expect(history[0]!.label).toMatch(/^[0-9a-f]{7,} \d{4}-\d{2}-\d{2}$/);
  });

  it('returns no versions for a new file, even when a committed file looks like it', () => {
    repo = mkdtempSync(join(tmpdir(), 'fanout-history-'));
    git('init', '-q');
    commit('schemas/Old.avsc', schema([id, { name: 'n', type: 'int' }]), 'old');
    writeFileSync(join(repo, 'schemas/New.avsc'), schema([id, { name: 'n', type: 'int' }]));
    expect(readSchemaHistory(repo, 'schemas/New.avsc')).toEqual([]);
  });

  it('starts the history of a committed file that git sees as a copy of another at its own first commit', () => {
    repo = mkdtempSync(join(tmpdir(), 'fanout-history-'));
    git('init', '-q');
    const shared = [id, { name: 'metadata', type: 'string' }, { name: 'n', type: 'int' }];
    commit('schemas/Old.avsc', schema(shared), 'old');
    commit('schemas/New.avsc', schema([...shared, { name: 'm', type: 'int' }]), 'new, copy-like');
    const history = readSchemaHistory(repo, 'schemas/New.avsc');
    expect(history).toHaveLength(1);
    expect(JSON.parse(history[0]!.text).fields).toHaveLength(4);
  });
});
