import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error';
import { loadCliConfig } from './config';
import type { GlobalOptions } from './config';
import { lagCommand } from './commands/lag';
import { traceCommand } from './commands/trace';

/** Runs the CLI and returns its exit code; errors print as one line that says what to do. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('fanout')
    .description('Operate Fanout: the stack, events, dead letters, traces, sagas and lag.')
    .option('--json', 'machine-readable output')
    .option('--brokers <list>', 'Kafka bootstrap servers (default KAFKA_BROKERS or 127.0.0.1:9092)')
    .option('--registry <url>', 'schema registry ccompat URL (default SCHEMA_REGISTRY_URL)')
    .option(
      '--jaeger <url>',
      "Jaeger's query URL (default JAEGER_QUERY_URL or http://127.0.0.1:16686)",
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const config = () => loadCliConfig(program.opts<GlobalOptions>());
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };

  program
    .command('trace <id>')
    .description('print a text waterfall of a trace, by trace id, order id or user id')
    .action(async (id: string) => print(await traceCommand(id, config())));
  program
    .command('lag [group]')
    .description('consumer lag per group and partition')
    .action(async (group?: string) => print(await lagCommand(config(), group)));

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      process.stderr.write(`fanout: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`fanout: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
