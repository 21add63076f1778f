import { execFileSync } from 'node:child_process';

/** One committed version of a schema file. */
export interface SchemaVersion {
  /** 1 for the first commit that holds the file. */
  version: number;
  /** Short commit hash and date, for messages. */
  label: string;
  /** The file's text at that commit. */
  text: string;
}

/**
 * Every committed version of `path` (relative to `repoRoot`), oldest first, following renames
 * (`git log --follow`). Consecutive commits with identical text count as one version. A path
 * that git does not know yields [] (a new schema has no history).
 */
export function readSchemaHistory(repoRoot: string, path: string): SchemaVersion[] {
  const git = (args: string[]): string =>
    execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    // Not in HEAD: a new (or not yet committed, renamed) schema has no history. `--follow` on a
    // path git does not know guesses renames from similar files, which would be wrong here.
    git(['cat-file', '-e', `HEAD:${path}`]);
  } catch {
    return [];
  }
  let log: string;
  try {
    // --name-status gives the file's path at each commit (it differs after a rename) and how
    // it got there.
    log = git(['log', '--follow', '--format=%x00%H %h %cs', '--name-status', '--', path]);
  } catch {
    return [];
  }
  const commits: Array<{ hash: string; label: string; path: string }> = [];
  for (const chunk of log.split('\0')) {
    const [header, ...lines] = chunk.split('\n').filter((line) => line.trim().length > 0);
    if (!header) continue;
    const [hash = '', short = '', date = ''] = header.split(' ');
    const [status = '', ...paths] = (lines.at(-1) ?? '').split('\t');
    commits.push({ hash, label: `${short} ${date}`, path: paths.at(-1) ?? path });
    // `--follow` also follows copies: every event schema embeds the same metadata block, so a new
    // schema looks like a copy of an old one. A copy or an add is where this file's history starts.
    if (status.startsWith('C') || status.startsWith('A')) break;
  }
  commits.reverse();

  const versions: SchemaVersion[] = [];
  for (const commit of commits) {
    let text: string;
    try {
      text = git(['show', `${commit.hash}:${commit.path}`]);
    } catch {
      continue; // the commit deleted the file
    }
    if (versions.at(-1)?.text === text) continue;
    versions.push({ version: versions.length + 1, label: commit.label, text });
  }
  return versions;
}

/** The root of the git work tree that holds `dir`. */
export function gitRoot(dir: string): string {
  return execFileSync('git', ['rev-parse', '--show-toplevel'], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

/** True in a shallow clone (CI often fetches depth 1), where older versions are missing. */
export function isShallowClone(repoRoot: string): boolean {
  try {
    return (
      execFileSync('git', ['rev-parse', '--is-shallow-repository'], {
        cwd: repoRoot,
        encoding: 'utf8',
      }).trim() === 'true'
    );
  } catch {
    return false;
  }
}
