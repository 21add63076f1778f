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
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let log: string;
  try {
    // --name-only gives the file's path at each commit, which differs after a rename.
    log = git(['log', '--follow', '--format=%x00%H %h %cs', '--name-only', '--', path]);
  } catch {
    return [];
  }
  const commits = log
    .split('\0')
    .map((chunk) => chunk.trim())
    .filter(Boolean)
    .map((chunk) => {
      const [header = '', ...files] = chunk.split('\n').filter(Boolean);
      const [hash = '', short = '', date = ''] = header.split(' ');
      return { hash, label: `${short} ${date}`, path: files[files.length - 1] ?? path };
    })
    .reverse();

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
