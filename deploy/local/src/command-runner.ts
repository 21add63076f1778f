import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PlatformError } from './platform-error';

export interface RunCommandOptions {
  component: string;
  command: string;
  args: string[];
  /** What the log and errors show instead of `args` (e.g. with passwords masked). */
  shownArgs?: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Full output goes here; failures quote its tail and name it. */
  logFile: string;
  onLine?: (line: string) => void;
  timeoutMs: number;
  /** What to do when the command fails, e.g. "check the network to Maven Central". */
  hint: string;
}

/** Runs a provisioning command to completion; a failure names the component, command and log. */
export async function runCommand(options: RunCommandOptions): Promise<void> {
  await mkdir(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const shown = `${options.command} ${(options.shownArgs ?? options.args).join(' ')}`;
  log.write(`\n$ ${shown}\n`);
  const tail: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s`));
      }, options.timeoutMs);
      let partial = '';
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          tail.push(line);
          if (tail.length > 15) tail.shift();
          options.onLine?.(line);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(signal ? `killed by ${signal}` : `exited with code ${code}`));
      });
    });
  } catch (error) {
    throw new PlatformError(
      'FANOUT_PLATFORM_PROVISION_FAILED',
      options.component,
      `${options.component}: \`${shown}\` ${(error as Error).message}\n${tail.map((l) => `    ${l}`).join('\n')}`,
      `${options.hint} Full output: ${options.logFile}`,
      { cause: error },
    );
  } finally {
    await new Promise((r) => log.end(r));
  }
}
