import { describeError, OpsloopError } from '../core/errors';
import type { CliCommand, CliIO } from './cliCommand';
import { ExitCode } from './cliCommand';
import { commands } from './commands';

const version = '0.1.0';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `opsloop ${version}: pipelines, telemetry and incidents, from a terminal or a CI job.`,
    '',
    'Usage: opsloop <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `opsloop <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version}\n`);
    return ExitCode.ok;
  }
  const command: CliCommand | undefined = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`opsloop: unknown command '${name}'.\n\n${help()}`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage.trimEnd()}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (OpsloopError.is(error)) {
      io.stderr(`opsloop ${name}: ${error.message}${error.nextStep ? ` (${error.nextStep})` : ''}\n`);
      return error.kind === 'invalidInput' ? ExitCode.usage : error.kind === 'cancelled' ? ExitCode.interrupted : ExitCode.failed;
    }
    io.stderr(`opsloop ${name}: internal error: ${describeError(error)}\n`);
    if (error instanceof Error && error.stack && io.env.OPSLOOP_DEBUG) io.stderr(`${error.stack}\n`);
    return ExitCode.failed;
  }
}
