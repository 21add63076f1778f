import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error';
import { loadCliConfig } from './config';
import type { GlobalOptions } from './config';
import { dlqListCommand, dlqReplayCommand, dlqShowCommand } from './commands/dlq';
import { lagCommand } from './commands/lag';
import { publishCommand } from './commands/publish';
import { sagaCommand } from './commands/saga';
import { stackDownCommand, stackStatusCommand, stackUpCommand } from './commands/stack';
import type { StackFlags } from './commands/stack';
import { traceCommand } from './commands/trace';

/** Runs the CLI and returns its exit code; errors print as one line that says what to do. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
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
  // Subcommands inherit exitOverride only when set before they are added.
  const sub = (parent: Command, spec: string) => parent.command(spec).exitOverride();

  const stack = sub(program, 'stack').description(
    'the local platform (Kafka, registry, Jaeger) and, with --services, the app services',
  );
  const stackFlags = (c: Command) =>
    c
      .option('--profile <name>', 'stack profile (state in .fanout/stack/<name>)')
      .option('--port-offset <n>', 'added to every fixed port');
  stackFlags(sub(stack, 'up'))
    .description('start what is not running and wait until healthy')
    .option('--services', 'also start every app service (as npm start does)')
    .action(async (flags: StackFlags) => print(await stackUpCommand(config(), flags)));
  stackFlags(sub(stack, 'down'))
    .description('stop what this profile started, nothing else')
    .action(async (flags: StackFlags) => print(await stackDownCommand(config(), flags)));
  stackFlags(sub(stack, 'status'))
    .description('health of each component and service (exit 1 when unhealthy)')
    .action(async (flags: StackFlags) => {
      const { text, healthy } = await stackStatusCommand(config(), flags);
      print(text);
      if (!healthy) exitCode = 1;
    });

  sub(program, 'publish <eventType> <json>')
    .description(
      "validate an event against its schema and publish it to the catalog's topic (metadata filled in)",
    )
    .action(async (eventType: string, json: string) =>
      print(await publishCommand(config(), eventType, json)),
    );

  const dlq = sub(program, 'dlq').description('dead-lettered records: list, show, replay');
  sub(dlq, 'list')
    .description('every dead-lettered record (id, event, reason, attempts)')
    .option('--group <group>', 'only the dead-letter topic of this consumer group')
    .action(async (flags: { group?: string }) =>
      print(await dlqListCommand(config(), flags.group)),
    );
  sub(dlq, 'show <id>')
    .description('one record: failure, headers and the decoded event')
    .action(async (id: string) => print(await dlqShowCommand(config(), id)));
  sub(dlq, 'replay <id>')
    .description('re-publish the original record to its original topic, linked to its trace')
    .option('--dry-run', 'print what would be sent, send nothing')
    .action(async (id: string, flags: { dryRun?: boolean }) =>
      print(await dlqReplayCommand(config(), id, flags.dryRun === true)),
    );

  sub(program, 'trace <id>')
    .description('print a text waterfall of a trace, by trace id, order id or user id')
    .action(async (id: string) => print(await traceCommand(id, config())));
  sub(program, 'saga <orderId>')
    .description("a timeline of an order's saga: steps, replies, compensations, outcome")
    .action(async (orderId: string) => print(await sagaCommand(config(), orderId)));
  sub(program, 'lag [group]')
    .description('consumer lag per group and partition')
    .action(async (group?: string) => print(await lagCommand(config(), group)));

  try {
    await program.parseAsync(argv);
    return exitCode;
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
