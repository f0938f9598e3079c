import type { CliCommand } from './cliCommand';
import { planCommand } from './commands/plan';

/** Every `opsloop` command, in the order `--help` lists them. One line each. */
export const commands: readonly CliCommand[] = [
  planCommand,
];
