import type { CliCommand } from './cliCommand';
import { checkCommand } from './commands/check';
import { detectCommand } from './commands/detect';
import { planCommand } from './commands/plan';
import { queryCommand } from './commands/query';
import { runCommand } from './commands/run';

/** Every `opsloop` command, in the order `--help` lists them. One line each. */
export const commands: readonly CliCommand[] = [
  planCommand,
  runCommand,
  detectCommand,
  queryCommand,
  checkCommand,
];
