// The CLI drives the platform through its programmatic API, as `npm run stack` does.
import {
  isPlatformError,
  platformStatus,
  startPlatform,
  stopPlatform,
} from '@fanout/local-platform';
import type { PlatformStatus, StackOptions } from '@fanout/local-platform';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config';

export interface StackFlags {
  profile?: string;
  portOffset?: string;
  services?: boolean;
}

function stackOptions(flags: StackFlags): StackOptions {
  const options: StackOptions = {};
  if (flags.profile) options.profile = flags.profile;
  if (flags.portOffset !== undefined) {
    const offset = Number(flags.portOffset);
    if (!Number.isInteger(offset) || offset < 0)
      throw new CliError(`--port-offset "${flags.portOffset}" is not a non-negative integer`, 2);
    options.portOffset = offset;
  }
  return options;
}

/** PlatformError already names the component and what to do: keep it to one line plus the hint. */
async function platform<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isPlatformError(error))
      throw new CliError(`${error.component}: ${error.message.split('\n')[0]} ${error.hint}`);
    throw error;
  }
}

/**
 * Progress of `up`/`down` goes to stderr (the platform's own step lines), so stdout carries
 * only the result, and with --json only JSON.
 */
const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export async function stackUpCommand(config: CliConfig, flags: StackFlags): Promise<string> {
  const running = await platform(() =>
    startPlatform({ ...stackOptions(flags), services: flags.services === true, log: toStderr }),
  );
  if (config.json)
    return JSON.stringify(
      { started: running.started, endpoints: running.endpoints, services: running.services },
      null,
      2,
    );
  return [
    `stack "${running.topology.profile}" is up${running.started.length ? ` (started ${running.started.join(', ')})` : ' (already healthy)'}`,
    `  kafka ${running.endpoints.kafkaBrokers.join(',')} · registry ${running.endpoints.schemaRegistryUrl} · jaeger ${running.endpoints.jaegerQueryUrl}`,
  ].join('\n');
}

export async function stackDownCommand(config: CliConfig, flags: StackFlags): Promise<string> {
  const stopped = await platform(() => stopPlatform({ ...stackOptions(flags), log: toStderr }));
  if (config.json) return JSON.stringify({ stopped }, null, 2);
  return stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing of this profile was running';
}

export function renderStatus(status: PlatformStatus): string {
  const rows = [...status.components, ...status.services];
  const width = Math.max(...rows.map((r) => r.name.length), 4);
  return [
    `stack "${status.profile}": ${status.healthy ? 'healthy' : 'NOT healthy'}`,
    ...rows.map(
      (r) =>
        `  ${r.healthy ? '✔' : '✘'} ${r.name.padEnd(width)}  ${r.pid ? `pid ${r.pid}` : 'not ours'}  ${r.detail}`,
    ),
  ].join('\n');
}

/** Exit code 1 when anything is unhealthy, so scripts can wait on it. */
export async function stackStatusCommand(
  config: CliConfig,
  flags: StackFlags,
): Promise<{ text: string; healthy: boolean }> {
  const status = await platform(() => platformStatus(stackOptions(flags)));
  return {
    text: config.json ? JSON.stringify(status, null, 2) : renderStatus(status),
    healthy: status.healthy,
  };
}
