#!/usr/bin/env node
/** Entry point of the `opsloop` binary (bundled to dist/cli.js). */
import { main } from './main';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  interrupts++;
  // A second Ctrl-C means "now": stop waiting for a graceful shutdown.
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `opsloop plan | head`: the reader went away. Stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    controller.abort();
    process.exit(process.exitCode ?? 0);
  });
}

main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`opsloop: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
