// `npm run stack -- up|down|status|logs|provision`: the local platform's command line.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isPlatformError } from './platform-error';
import {
  platformStatus,
  resolveTopology,
  startPlatform,
  stopPlatform,
  type PlatformStatus,
} from './platform';
import { logTail } from './process-supervisor';
import { formatElapsed } from './progress';
import { repoRoot } from './paths';
import { provision } from './provision';
import { buildServices } from './service-build';
import { allComponents, type ComponentName, type StackOptions } from './topology';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

function components(value: string): ComponentName[] {
  const list = value.split(',').map((v) => v.trim()) as ComponentName[];
  for (const c of list)
    if (!allComponents.includes(c))
      throw new InvalidArgumentError(`unknown component "${c}" (use ${allComponents.join(', ')})`);
  return list;
}

const profileOption = new Option(
  '--profile <name>',
  'state dir .fanout/stack/<name>; separate stacks never share processes',
).env('FANOUT_STACK_PROFILE');
const offsetOption = new Option('--port-offset <n>', 'added to every fixed port')
  .argParser(int)
  .env('FANOUT_STACK_PORT_OFFSET');

interface CommonFlags {
  profile?: string;
  portOffset?: number;
  brokers?: number;
  only?: ComponentName[];
  json?: boolean;
  secure?: boolean;
}

function stackOptions(flags: CommonFlags): StackOptions {
  return {
    profile: flags.profile,
    portOffset: flags.portOffset,
    brokers: flags.brokers,
    components: flags.only,
    secure: flags.secure,
  };
}

function printStatus(status: PlatformStatus): void {
  console.log(
    `stack "${status.profile}": ${status.healthy ? 'healthy' : 'NOT healthy'}${status.security ? `, secure (Kafka ${status.security.protocol} only, ${status.security.mechanism}, user "${status.security.username}")` : ''}`,
  );
  const rows = [...status.components, ...status.services];
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const row of rows) {
    const owner = row.pid ? `pid ${row.pid}` : row.healthy ? 'not ours' : 'stopped';
    console.log(
      `  ${row.healthy ? '✔' : '✘'} ${row.name.padEnd(width)}  ${owner.padEnd(10)}  ${row.detail}`,
    );
  }
  if (status.security) console.log(`  client settings: ${status.security.envFile}`);
  if (status.components.some((c) => c.pid))
    console.log(
      `  logs: npm run stack -- logs [component]${status.profile === 'default' ? '' : ` --profile ${status.profile}`}`,
    );
}

const program = new Command('stack')
  .description(
    'Kafka, schema registry and Jaeger as local processes (no Docker), plus the app services',
  )
  .showHelpAfterError();

program
  .command('build')
  .description('compile every service (with the libs it uses) to dist/<service>/main.mjs')
  .action(async () => {
    const started = Date.now();
    const result = await buildServices(repoRoot);
    console.log(
      `✔ built ${result.services.length} services into ${result.outDir} (${formatElapsed(Date.now() - started)})`,
    );
  });

program
  .command('provision')
  .description('download and build every component into the per-user cache (idempotent)')
  .option('--quick', 'check cached files by size only, not by checksum')
  .action(async (flags: { quick?: boolean }) => {
    const started = Date.now();
    const paths = await provision({ deep: !flags.quick });
    console.log(
      `✔ platform provisioned (${formatElapsed(Date.now() - started)}): ${Object.values(paths).join(', ')}`,
    );
  });

program
  .command('up')
  .description('start what is not running and wait until everything is healthy')
  .addOption(profileOption)
  .addOption(offsetOption)
  .option('--brokers <n>', '1 or 3 Kafka brokers', int)
  .option('--only <components>', `subset of ${allComponents.join(',')}`, components)
  .option(
    '--services [names]',
    'also start the app services that exist under services/ (all, or a comma-separated list)',
  )
  .option(
    '--secure',
    'Kafka on SASL_SSL only (SCRAM-SHA-512, throwaway CA); prints the client settings',
  )
  .option(
    '--compiled',
    'run the services with plain node from dist/ (`npm run build`) instead of tsx; or FANOUT_RUN_COMPILED=1',
  )
  .option('--json', 'print the endpoints as JSON on the last line')
  .action(async (flags: CommonFlags & { services?: boolean | string; compiled?: boolean }) => {
    const services =
      typeof flags.services === 'string'
        ? flags.services.split(',').map((s) => s.trim())
        : (flags.services ?? false);
    const result = await startPlatform({
      ...stackOptions(flags),
      services,
      compiled: flags.compiled === true || process.env.FANOUT_RUN_COMPILED === '1',
    });
    if (flags.json)
      console.log(
        JSON.stringify({
          endpoints: result.endpoints,
          env: result.env,
          started: result.started,
          // Without `kafka`: it holds the password, which the env passes by file.
          security: result.security && { ...result.security, kafka: undefined },
        }),
      );
  });

program
  .command('down')
  .description('stop the processes this profile started (by pid), nothing else')
  .argument('[names...]', 'only these processes (e.g. kafka-1 registry user-service)')
  .addOption(profileOption)
  .action(async (names: string[], flags: CommonFlags) => {
    const stopped = await stopPlatform({
      ...stackOptions(flags),
      only: names.length > 0 ? names : undefined,
    });
    console.log(
      stopped.length
        ? `✔ stopped ${stopped.join(', ')}`
        : '✔ nothing of this profile was running',
    );
  });

program
  .command('status')
  .description('health of each component and which pids are ours; exit code 1 when unhealthy')
  .addOption(profileOption)
  .addOption(offsetOption)
  .option('--json', 'machine-readable')
  .action(async (flags: CommonFlags) => {
    const status = await platformStatus(stackOptions(flags));
    if (flags.json) console.log(JSON.stringify(status));
    else printStatus(status);
    process.exitCode = status.healthy ? 0 : 1;
  });

program
  .command('logs')
  .description(
    'show the log of a component (kafka, kafka-2, registry, jaeger, a service); all when omitted',
  )
  .argument('[component]')
  .addOption(profileOption)
  .option('-n, --lines <n>', 'lines per log', int, 40)
  .option('-f, --follow', 'keep following (tail -F)')
  .action(
    async (
      component: string | undefined,
      flags: CommonFlags & { lines: number; follow?: boolean },
    ) => {
      const { logDir } = resolveTopology(stackOptions(flags));
      const all = existsSync(logDir)
        ? readdirSync(logDir)
            .filter((f) => f.endsWith('.log'))
            .sort()
        : [];
      const files = all
        .filter((f) => !component || f === `${component}.log` || f.startsWith(`${component}-`))
        .map((f) => join(logDir, f));
      if (files.length === 0) {
        console.error(
          `no logs${component ? ` for "${component}"` : ''} in ${logDir} (available: ${all.join(', ') || 'none'})`,
        );
        process.exitCode = 1;
        return;
      }
      if (flags.follow) {
        spawn('tail', ['-n', String(flags.lines), '-F', ...files], { stdio: 'inherit' });
        return;
      }
      for (const file of files) console.log(`==> ${file} <==\n${logTail(file, flags.lines, '')}\n`);
    },
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  const errors = error instanceof AggregateError ? error.errors : [error];
  for (const e of errors) {
    if (isPlatformError(e)) console.error(`✘ ${e.component}: ${e.message}\n  → ${e.hint}`);
    else console.error(`✘ ${(e as Error)?.stack ?? String(e)}`);
  }
  process.exit(1);
});
