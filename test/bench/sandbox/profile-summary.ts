// Top self-time functions of a .cpuprofile (node --cpu-prof), and self time grouped by package:
//   tsx test/bench/sandbox/profile-summary.ts /tmp/sandbox-prof/before/CPU.*.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) =>
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);

const total = [...self.values()].reduce((a, b) => a + b, 0);
const fns = new Map<string, number>();
const pkgs = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/[^/]+\//, '');
  const name = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  fns.set(name, (fns.get(name) ?? 0) + us);
  const pkg = !url
    ? functionName.startsWith('(')
      ? functionName
      : '(native)'
    : url.startsWith('node:')
      ? url.split('/')[0]!
      : url.includes('node_modules/')
        ? url.replace(/^.*node_modules\//, '').replace(/^(@[^/]+\/[^/]+|[^/@]+)\/.*$/, '$1')
        : short.split('/').slice(0, 2).join('/');
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
console.log('\nself time by package:');
for (const [name, us] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${pct(us)}  ${name}`);
console.log('\ntop self-time functions:');
for (const [name, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${pct(us)}  ${name}`);
