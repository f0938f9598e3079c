import type { CliCommand } from './cliCommand';

/** Every `opsloop` command, in the order `--help` lists them. One line each. */
export const commands: readonly CliCommand[] = [
];
