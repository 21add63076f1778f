// Summarizes node --cpu-prof profiles: self time by function and by package, per file.
//   tsx test/bench/report/profile-summary.ts <dir or .cpuprofile...> [--top=25] [--skip=15]
// --skip=<s> drops the first seconds of each profile (start-up, module loading, warm-up), so
// what is left is the steady state under load.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
/** `--callers=name`: the heaviest stacks (5 frames up) that end in functions named so. */
const callersOf = args.find((a) => a.startsWith('--callers='))?.slice(10);
const depth = Number(args.find((a) => a.startsWith('--depth='))?.slice(8) ?? 6);
const skipUs = Number(args.find((a) => a.startsWith('--skip='))?.slice(7) ?? 0) * 1e6;
/** Every .cpuprofile under the arguments (directories are walked). */
function profilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((entry) => {
    const full = join(path, entry);
    if (statSync(full).isDirectory()) return profilesUnder(full);
    return entry.endsWith('.cpuprofile') ? [full] : [];
  });
}
const files = args.filter((a) => !a.startsWith('--')).flatMap(profilesUnder);

function packageOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(libs|services)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.split('/').slice(-2).join('/');
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    if (elapsed >= skipUs) self.set(id, (self.get(id) ?? 0) + delta);
  });
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const key = `${name} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const frame = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber + 1}`;
  const stacks = new Map<string, number>();
  if (callersOf) {
    const parent = new Map<number, number>();
    for (const node of profile.nodes)
      for (const child of node.children ?? []) parent.set(child, node.id);
    for (const [id, us] of self) {
      // Self time of the function itself, or of anything it calls.
      let at: number | undefined = id;
      let hit: number | undefined;
      while (at !== undefined) {
        if (frame(byId.get(at)!).startsWith(callersOf)) hit = at;
        at = parent.get(at);
      }
      if (hit === undefined) continue;
      const chain: string[] = [];
      for (
        let up: number | undefined = hit;
        up !== undefined && chain.length < depth;
        up = parent.get(up)
      )
        chain.push(frame(byId.get(up)!));
      const key = chain.join(' < ');
      stacks.set(key, (stacks.get(key) ?? 0) + us);
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      )
      .join('\n');
  console.log(
    `\n# ${file}\nbusy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s\n## by package\n${rows(byPackage)}\n## by function (self)\n${rows(byFunction)}${callersOf ? `\n## stacks into ${callersOf} (inclusive)\n${rows(stacks)}` : ''}`,
  );
}
