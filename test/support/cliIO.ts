import type { CliIO } from '../../src/cli/cliCommand';

/** A CliIO whose stdout and stderr are collected into `out` and `err`, for tests that call the CLI's `main` in-process. */
export function captureIO(cwd = process.cwd()): CliIO & { out: string; err: string } {
  const io = {
    cwd,
    env: {},
    out: '',
    err: '',
    signal: new AbortController().signal,
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}
