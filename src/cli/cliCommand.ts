/** What every `opsloop <command>` provides. Commands get their I/O injected so tests can drive them. */
export interface CliIO {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Fires when the person presses Ctrl-C (SIGINT) or the process is asked to stop. */
  readonly signal: AbortSignal;
}

export interface CliCommand {
  readonly name: string;
  /** One line for `opsloop --help`. */
  readonly summary: string;
  /** Full usage text for `opsloop <name> --help`. */
  readonly usage: string;
  /** Returns the process exit status. */
  run(args: readonly string[], io: CliIO): Promise<number>;
}

/** Exit statuses shared by all commands. */
export const ExitCode = {
  ok: 0,
  /** The analysis found a problem (errors in a plan, a failed run, a deploy that hurt production). */
  failed: 1,
  /** The command line or the input was wrong. */
  usage: 2,
  /** The data needed to answer was missing or partial: neither yes nor no. */
  inconclusive: 3,
  /** Interrupted (Ctrl-C), as shells expect. */
  interrupted: 130,
} as const;
