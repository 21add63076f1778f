import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { PlatformError } from './platform-error';
import { readCmdline } from './process-supervisor';

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue;
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Which process listens on a port (Linux /proc; undefined where that cannot be read). */
export function portOwner(port: number): { pid: number; command: string } | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) {
          const pid = Number(entry);
          return { pid, command: (readCmdline(pid) ?? []).join(' ').slice(0, 160) };
        }
      } catch {
        // the process or fd went away while we looked
      }
    }
  }
  return undefined;
}

/** Fails naming the first taken port, its role and, when visible, the process holding it. */
export async function assertPortsFree(
  ports: Array<{ port: number; label: string }>,
  component: string,
): Promise<void> {
  for (const { port, label } of ports) {
    if (await isPortFree(port)) continue;
    const owner = portOwner(port);
    throw new PlatformError(
      'FANOUT_PLATFORM_PORT_IN_USE',
      component,
      `port ${port} (${label}) is already in use${owner ? ` by pid ${owner.pid} (${owner.command})` : ''}`,
      owner
        ? `Stop pid ${owner.pid} if it is a leftover, or run this stack on other ports with --port-offset.`
        : 'Free the port, or run this stack on other ports with --port-offset.',
      { details: { port, owner } },
    );
  }
}
