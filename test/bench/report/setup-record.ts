import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { platformVersions } from '@fanout/local-platform';

export interface MachineRecord {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
}

export interface SetupRecord {
  measuredAt: string;
  git: { commit: string; dirtyFiles: number };
  machine: MachineRecord;
  versions: Record<string, string>;
}

export function machineRecord(): MachineRecord {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

export function loadAverageNow(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

function packageVersion(root: string, name: string): string {
  try {
    const file = join(root, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** The machine, the versions and the commit the numbers belong to. */
export function setupRecord(root: string): SetupRecord {
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return {
    measuredAt: new Date().toISOString(),
    git: {
      commit: git(root, ['rev-parse', 'HEAD']) || 'unknown',
      dirtyFiles: status ? status.split('\n').length : 0,
    },
    machine: machineRecord(),
    versions: {
      node: process.version,
      kafkajs: packageVersion(root, 'kafkajs'),
      undici: packageVersion(root, 'undici'),
      fastify: packageVersion(root, 'fastify'),
      'better-sqlite3': packageVersion(root, 'better-sqlite3'),
      '@opentelemetry/sdk-node': packageVersion(root, '@opentelemetry/sdk-node'),
      kafka: `${platformVersions.kafka} (KRaft, single node, same machine)`,
      apicurio: `${platformVersions.apicurio} (in-memory)`,
      jaeger: `${platformVersions.jaeger} (memory storage)`,
    },
  };
}
